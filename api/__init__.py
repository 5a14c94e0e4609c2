"""The FastAPI application: routers, dependencies, auth, error mapping and the web pages."""
