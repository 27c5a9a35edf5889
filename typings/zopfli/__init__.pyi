# The zopfli package (PyPI "zopfli") ships no types. A partial stub: TinySite's build uses only
# zopfli.zopfli.compress (app/compression/zopfli_encoder.py).
__version__: str
