export default { "app.title": "Vigil" };
