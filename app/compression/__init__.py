"""The compression formats: what each codec is and does, with no notion of time or of HTTP.

Holds the codec type (`codec`), the registry of codecs with their levels and memory estimates
(`registry`), the codec spec and the jobs it names (`codec_spec`), RFC 9842's dcz framing and
the dictionary's identity (`dictionary_transport`), dcz as a codec bound to one dictionary
(`dictionary_codec`) and zopfli's deflate and gzip streams (`zopfli_encoder`).

May import: the standard library and the codec libraries (brotli, zstandard, zopfli), nothing
else of `app`, nothing web (no fastapi, starlette, mangum or multipart): import-linter's
contracts in pyproject.toml hold it to that. This docstring imports nothing, so a module of the
package costs only what it imports itself.
"""
