"""The HTTP layer: the routes and everything that speaks HTTP around the cores.

Holds the routes (`routes/`: CompressTest's uploads and downloads, TinySite's pages as an ASGI
layer, /docs, /health and /echo), upload parsing within the limit (`upload`), RFC 9457 problems
and the 500 guard (`problems`), a problem as a page for a browser (`problem_page`), CORS
(`cors`), the request log (`request_log`), /docs's files (`api_docs`), and CompressTest's
browser UI: the results page (`results_page`) and the scripts in assets/, which TinySite
precompresses and serves beside its pages.

May import: the cores (`app.compression`, `app.engine`, `app.tinysite`), `app.config`,
FastAPI and Starlette; never the Lambda side (`app.aws`), which wraps this layer from outside.
The routes stay thin: they compress nothing themselves.
"""
