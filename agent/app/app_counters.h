// App-layer counters: one list gives the struct fields and the stats names.
// Bumped only by the worker thread that owns the AppLayer; summed when read.
// Anomalies are named after what was wrong in the traffic, limits after the
// cap that cut it (STYLE lesson 6: malformed traffic is data, counted).
#pragma once

#include "agent/app/http_anomaly.h"
#include "common/counters.h"

// HTTP anomaly kinds (http_anomaly.h) as counters http_<kind>.
#define VIGIL_HTTP_ANOMALY_COUNTER_(X, n) X(http_##n, "app_layer.anomaly.http." #n)

#define VIGIL_APP_COUNTERS(X)                                                 \
  X(flow_http, "app_layer.flow.http")                                         \
  X(flow_dns_udp, "app_layer.flow.dns_udp")                                   \
  X(flow_dns_tcp, "app_layer.flow.dns_tcp")                                   \
  X(flow_tls, "app_layer.flow.tls")                                           \
  X(flow_ssh, "app_layer.flow.ssh")                                           \
  X(flow_failed, "app_layer.flow.failed")                                     \
  X(tx_http, "app_layer.tx.http")                                             \
  X(tx_dns, "app_layer.tx.dns")                                               \
  X(tx_tls, "app_layer.tx.tls")                                               \
  X(tx_ssh, "app_layer.tx.ssh")                                               \
  X(err_http, "app_layer.error.http.parser")                                  \
  X(err_dns, "app_layer.error.dns.parser")                                    \
  X(err_tls, "app_layer.error.tls.parser")                                    \
  X(err_ssh, "app_layer.error.ssh.parser")                                    \
  X(gap_http, "app_layer.error.http.gap")                                     \
  X(gap_dns, "app_layer.error.dns.gap")                                       \
  X(gap_tls, "app_layer.error.tls.gap")                                       \
  X(gap_ssh, "app_layer.error.ssh.gap")                                       \
  X(http_header_too_long, "app_layer.anomaly.http.header_too_long")           \
  X(http_too_many_headers, "app_layer.anomaly.http.too_many_headers")         \
  X(http_bad_request_line, "app_layer.anomaly.http.invalid_request_line")     \
  X(http_bad_response_line, "app_layer.anomaly.http.invalid_response_line")   \
  X(http_bad_header, "app_layer.anomaly.http.invalid_header")                 \
  X(http_bad_content_length, "app_layer.anomaly.http.invalid_content_length") \
  X(http_bad_chunk, "app_layer.anomaly.http.invalid_chunk")                   \
  X(http_unsolicited_response, "app_layer.anomaly.http.unsolicited_response") \
  X(http_decompress_error, "app_layer.anomaly.http.decompression_error")      \
  X(http_decompress_bomb, "app_layer.anomaly.http.decompression_bomb")        \
  X(http_req_body_cut, "app_layer.limit.http.request_body")                   \
  X(http_resp_body_cut, "app_layer.limit.http.response_body")                 \
  VIGIL_HTTP_ANOMALIES(VIGIL_HTTP_ANOMALY_COUNTER_, X)                        \
  X(http_tx_cut, "app_layer.limit.http.tx")                                   \
  X(dns_malformed, "app_layer.anomaly.dns.malformed")                         \
  X(dns_name_loop, "app_layer.anomaly.dns.name_loop")                         \
  X(dns_name_too_long, "app_layer.anomaly.dns.name_too_long")                 \
  X(dns_unsolicited_response, "app_layer.anomaly.dns.unsolicited_response")   \
  X(dns_bad_tcp_length, "app_layer.anomaly.dns.invalid_tcp_length")           \
  X(dns_tx_cut, "app_layer.limit.dns.tx")                                     \
  X(tls_bad_record, "app_layer.anomaly.tls.invalid_record")                   \
  X(tls_bad_handshake, "app_layer.anomaly.tls.invalid_handshake")             \
  X(tls_handshake_too_long, "app_layer.anomaly.tls.handshake_too_long")       \
  X(tls_bad_certificate, "app_layer.anomaly.tls.invalid_certificate")         \
  X(tls_encrypted_bytes, "app_layer.tls.encrypted_bytes")                     \
  X(ssh_banner_too_long, "app_layer.anomaly.ssh.banner_too_long")             \
  X(ssh_bad_banner, "app_layer.anomaly.ssh.invalid_banner")                   \
  X(ssh_bad_packet, "app_layer.anomaly.ssh.invalid_packet")                   \
  X(ssh_encrypted_bytes, "app_layer.ssh.encrypted_bytes")                     \
  X(detect_pending_cut, "app_layer.limit.detect.pending")                     \
  X(flow_smtp, "app_layer.flow.smtp")                                         \
  X(tx_smtp, "app_layer.tx.smtp")                                             \
  X(err_smtp, "app_layer.error.smtp.parser")                                  \
  X(gap_smtp, "app_layer.error.smtp.gap")                                     \
  X(smtp_starttls, "app_layer.smtp.starttls")                                 \
  X(smtp_bad_reply, "app_layer.anomaly.smtp.invalid_reply")                   \
  X(smtp_unsolicited_reply, "app_layer.anomaly.smtp.unsolicited_reply")       \
  X(smtp_bad_bdat, "app_layer.anomaly.smtp.invalid_bdat")                     \
  X(mime_bad_header, "app_layer.anomaly.smtp.mime_invalid_header")            \
  X(mime_bad_base64, "app_layer.anomaly.smtp.mime_invalid_base64")            \
  X(mime_bad_qp, "app_layer.anomaly.smtp.mime_invalid_qp")                    \
  X(smtp_line_cut, "app_layer.limit.smtp.line")                               \
  X(smtp_commands_cut, "app_layer.limit.smtp.commands")                       \
  X(smtp_starttls_cut, "app_layer.limit.smtp.starttls_hold")                  \
  X(smtp_tx_cut, "app_layer.limit.smtp.tx")                                   \
  X(smtp_rcpt_cut, "app_layer.limit.smtp.rcpt")                               \
  X(smtp_file_data_cut, "app_layer.limit.smtp.file_data")                     \
  X(mime_depth_cut, "app_layer.limit.smtp.mime_depth")                        \
  X(mime_parts_cut, "app_layer.limit.smtp.mime_parts")                        \
  X(mime_header_cut, "app_layer.limit.smtp.mime_header")                      \
  X(flow_ftp, "app_layer.flow.ftp")                                           \
  X(tx_ftp, "app_layer.tx.ftp")                                               \
  X(err_ftp, "app_layer.error.ftp.parser")                                    \
  X(gap_ftp, "app_layer.error.ftp.gap")                                       \
  X(ftp_line_too_long, "app_layer.anomaly.ftp.line_too_long")                 \
  X(ftp_bad_reply, "app_layer.anomaly.ftp.invalid_reply")                     \
  X(ftp_bad_port, "app_layer.anomaly.ftp.invalid_port")                       \
  X(ftp_unsolicited_reply, "app_layer.anomaly.ftp.unsolicited_reply")         \
  X(ftp_tx_cut, "app_layer.limit.ftp.tx")                                     \
  X(ftp_encrypted_bytes, "app_layer.ftp.encrypted_bytes")                     \
  X(ftp_expect_cut, "app_layer.limit.ftp.expectations")                       \
  X(flow_ftp_data, "app_layer.flow.ftp-data")                                 \
  X(tx_ftp_data, "app_layer.tx.ftp-data")                                     \
  X(ftp_data_cut, "app_layer.limit.ftp_data.file_data")                       \
  X(ftp_expect_expired, "app_layer.ftp.expectations_expired")                 \
  X(flow_smb, "app_layer.flow.smb")                                           \
  X(tx_smb, "app_layer.tx.smb")                                               \
  X(err_smb, "app_layer.error.smb.parser")                                    \
  X(gap_smb, "app_layer.error.smb.gap")                                       \
  X(smb_bad_record, "app_layer.anomaly.smb.invalid_record")                   \
  X(smb_malformed, "app_layer.anomaly.smb.malformed_data")                    \
  X(smb_unsolicited_response, "app_layer.anomaly.smb.unsolicited_response")   \
  X(smb_encrypted_records, "app_layer.smb.encrypted_records")                 \
  X(smb_resync, "app_layer.smb.resync")                                       \
  X(smb_stopped, "app_layer.smb.stopped")                                     \
  X(smb_record_cut, "app_layer.limit.smb.record")                             \
  X(smb_tx_cut, "app_layer.limit.smb.tx")                                     \
  X(smb_table_cut, "app_layer.limit.smb.table")                               \
  X(smb_file_cut, "app_layer.limit.smb.files")                                \
  X(smb_file_data_cut, "app_layer.limit.smb.file_data")                       \
  X(smb_file_overlap, "app_layer.smb.file_overlap_bytes")                     \
  X(smb_dcerpc_stub_cut, "app_layer.limit.smb.dcerpc_stub")                   \
  X(flow_http2, "app_layer.flow.http2")                                       \
  X(flow_doh2, "app_layer.flow.doh2")                                         \
  X(tx_http2, "app_layer.tx.http2")                                           \
  X(err_http2, "app_layer.error.http2.parser")                                \
  X(gap_http2, "app_layer.error.http2.gap")                                   \
  X(http2_frames, "app_layer.http2.frames")                                   \
  X(http2_stopped, "app_layer.http2.stopped")                                 \
  X(http2_bad_preface, "app_layer.anomaly.http2.invalid_preface")             \
  X(http2_bad_frame, "app_layer.anomaly.http2.invalid_frame_length")          \
  X(http2_bad_padding, "app_layer.anomaly.http2.invalid_padding")             \
  X(http2_bad_stream_id, "app_layer.anomaly.http2.invalid_stream_id")         \
  X(http2_bad_continuation, "app_layer.anomaly.http2.invalid_continuation")   \
  X(http2_bad_hpack, "app_layer.anomaly.http2.invalid_header")                \
  X(http2_unknown_stream, "app_layer.anomaly.http2.data_unknown_stream")      \
  X(http2_header_cut, "app_layer.limit.http2.header_block")                   \
  X(http2_frame_cut, "app_layer.limit.http2.frame")                           \
  X(http2_stream_cut, "app_layer.limit.http2.streams")                        \
  X(http2_table_size_cut, "app_layer.limit.http2.table_size")                 \
  X(http2_req_body_cut, "app_layer.limit.http2.request_body")                 \
  X(http2_resp_body_cut, "app_layer.limit.http2.response_body")

namespace vigil {
VIGIL_DECLARE_COUNTERS(AppCounters, VIGIL_APP_COUNTERS)
}  // namespace vigil
