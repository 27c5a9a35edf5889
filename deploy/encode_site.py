"""Encode TinySite's bodies once and write them where the artifact's app will look them up.

Run by deploy/build_artifact.py in a clean Python 3.13 on the build machine:

    python3.13 -I -S -B deploy/encode_site.py ENCODERS_DIR APP_DIR

ENCODERS_DIR holds brotli and zstandard built for this machine, at the versions the artifact
ships, and zopfli, which the artifact does not ship; APP_DIR is the artifact's app package.
Importing app.tinysite encodes every body (the dictionary's dcz ones too) as a cold start would
(app/tinysite/encoded_bodies.py), deflate and gzip by zopfli; what it produced is written to the
package's cache file. The package's own __init__ is not run: it imports FastAPI, whose compiled
parts in the artifact may be for another architecture, and the site needs none of it.
"""

import sys
import types

encoders_dir, app_dir = sys.argv[1:]
sys.path.insert(0, encoders_dir)
package = types.ModuleType("app")
package.__path__ = [app_dir]
sys.modules["app"] = package

from app.tinysite import encoded_bodies, precompressed  # noqa: E402

if precompressed.BODIES.hits:
    raise SystemExit(f"{encoded_bodies.CACHE_FILE} existed before the build encoded the site")
if precompressed.BODIES.fallbacks:
    raise SystemExit("zopfli is not importable: the deflate and gzip bodies would be zlib's")
encoded_bodies.write_cache(precompressed.BODIES.produced)
print(f"{len(precompressed.BODIES.produced)} bodies -> {encoded_bodies.CACHE_FILE}")
