# Writes the packaged agent.yaml or collector.yaml (KIND) from the binary BIN to
# OUT: every key with its help and default, as the binary itself prints them,
# with the paths of the packaged layout (/var/lib/vigil, /var/log/vigil).
set(ENV{ASAN_OPTIONS} detect_leaks=0)
if(KIND STREQUAL agent)
  # A live sensor's safety net: one noisy rule may write at most 1000 alerts/s
  # (agent/README.md, "Alert rate limit"); the binary's own default is off.
  execute_process(COMMAND ${BIN} --dump-config --set default-log-dir=/var/log/vigil
    --set outputs.eve.alert.rate-limit=1000
    OUTPUT_VARIABLE body ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(head "# /etc/vigil/agent.yaml: vigil-agent's configuration (-c), read by vigil-agent.service.
# Every key with its help and default, as `vigil-agent --dump-config` prints
# them; the reference is /usr/share/doc/vigil-agent/CONFIG.md. The unit may
# write only /var/lib/vigil/agent (state) and /var/log/vigil (eve.json).
")
else()
  get_filename_component(dir ${OUT} DIRECTORY)
  file(WRITE ${dir}/collector-seed.yaml "data_dir: /var/lib/vigil/collector\n")
  execute_process(COMMAND ${BIN} config dump -c ${dir}/collector-seed.yaml
    OUTPUT_VARIABLE body ERROR_VARIABLE err RESULT_VARIABLE rc)
  set(head "# /etc/vigil/collector.yaml: vigil-collector's configuration (-c), read by
# vigil-collector.service. Every key with its help and default, as
# `vigil-collector config dump` prints them; the reference is
# /usr/share/doc/vigil-collector/CONFIG.md. The unit may write only
# /var/lib/vigil/collector (data_dir). Admin commands read it too, e.g.
# runuser -u vigil -- vigil-collector token create -c /etc/vigil/collector.yaml
")
endif()
if(NOT rc EQUAL 0 OR body STREQUAL "")
  message(FATAL_ERROR "${BIN}: exit ${rc}: ${err}")
endif()
file(WRITE ${OUT} "${head}${body}")
