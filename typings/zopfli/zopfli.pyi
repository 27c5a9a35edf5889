# The C extension's one function the project calls: zlib (or, gzip_mode=1, gzip) output.
def compress(
    data: bytes,
    *,
    verbose: int = ...,
    numiterations: int = ...,
    blocksplitting: int = ...,
    blocksplittinglast: int = ...,
    blocksplittingmax: int = ...,
    gzip_mode: int = ...,
) -> bytes: ...

class error(Exception): ...
