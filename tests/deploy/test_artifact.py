"""`sam build` of template.yaml: what the artifact holds, and that it serves on its own.

The template is built once per test run for this machine's architecture (the Architecture
parameter; arm64, the deployed default, cannot be imported on x86_64) and then run by a
clean Python 3.13 that sees only the artifact and the standard library, as Lambda does.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lambda_events import build_event, invoke, read_result
from run_once import once_per_run
from sam_tools import PROJECT_ROOT, host_architecture, lambda_python, run_artifact, sam_build

from app.compression.codec_spec import parse_codec_spec

MULTIPART_BOUNDARY = "artifact-test-boundary"
SAMPLE = b"CompressTest in a Lambda artifact. " * 400


def multipart_file(content: bytes, filename: str = "sample.txt") -> bytes:
    """A multipart/form-data body with one `file` field, as a browser sends it (RFC 7578)."""
    return (
        (
            f"--{MULTIPART_BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
    )


UPLOAD_HEADERS = {"Content-Type": f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"}
# (shape, method, path, query, headers, body): the site's page and both kinds of /compress.
REQUESTS = [
    (shape, *request)
    for shape in ("apigw-rest-v1", "apigw-http-v2")
    for request in [
        ("GET", "/", "", {"Accept-Encoding": "br, gzip", "Accept": "text/html"}, b""),
        ("POST", "/compress", "codecs=gzip:6,zstd:3", UPLOAD_HEADERS, multipart_file(SAMPLE)),
        (
            "POST",
            "/compress",
            "codecs=lz4:1-12,snappy,libdeflate:1-12",
            UPLOAD_HEADERS,
            multipart_file(SAMPLE),
        ),
        ("POST", "/compress/gzip", "level=6", UPLOAD_HEADERS, multipart_file(SAMPLE)),
    ]
]


@pytest.fixture(scope="session")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` a run, whichever worker asks first (tests/run_once.py)."""

    def build() -> str:
        return str(sam_build(tmp_path_factory.mktemp("sam") / "build"))

    return Path(once_per_run(tmp_path_factory, "sam-build", build))


@pytest.fixture(scope="module")
def served(artifact: Path) -> dict[str, Any]:
    events = [
        build_event(shape, method=method, path=path, query=query, headers=headers, body=body)
        for shape, method, path, query, headers, body in REQUESTS
    ]
    return run_artifact(artifact, events)


def test_artifact_holds_the_app_and_its_dependencies_only(artifact: Path) -> None:
    names = {p.name for p in artifact.iterdir()}
    assert {"handler.py", "app", "fastapi", "mangum", "starlette", "pydantic_core"} <= names
    assert {"brotli.py", "zstandard", "multipart"} <= names
    unwanted = {"tests", "bench", "deploy", ".venv", ".venv-sam", "pyproject.toml", "bin"}
    assert not names & unwanted
    assert (artifact / "app" / "tinysite" / "pages" / "home.html").exists()
    # Extension modules for this machine, which the test build targets.
    assert list(artifact.glob("pydantic_core/_pydantic_core.cpython-313-*-linux-gnu.so"))


# ELF e_machine of each Lambda architecture (the ELF specification's values).
ELF_MACHINES = {"x86_64": 62, "arm64": 183}
# The compiled codec bindings (app/compression/native_codecs.py), and the others it needs.
EXTENSIONS = ("lz4/frame/_frame", "pysnappy/core", "deflate/_deflate", "zstandard/backend_c")


def extension_machines(artifact: Path) -> dict[str, set[int]]:
    """Each extension module of `artifact` (path below it) -> the ELF machines it is built for."""
    machines: dict[str, set[int]] = {}
    for library in artifact.rglob("*.so"):
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", library
        name = str(library.relative_to(artifact)).split(".")[0]
        machines.setdefault(name, set()).add(int.from_bytes(header[18:20], "little"))
    return machines


@pytest.fixture(scope="session")
def other_architecture_artifact(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """deploy/build_artifact.py for the architecture this machine is not (as sam build runs it),
    once a run."""
    other = "arm64" if host_architecture() == "x86_64" else "x86_64"

    def build() -> str:
        target = tmp_path_factory.mktemp("other") / "artifact"
        subprocess.run(
            [
                str(lambda_python()),
                str(PROJECT_ROOT / "deploy" / "build_artifact.py"),
                "--architecture",
                other,
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        return str(target)

    return other, Path(once_per_run(tmp_path_factory, f"artifact-{other}", build))


def test_both_architectures_ship_every_binding_built_for_them(
    artifact: Path, other_architecture_artifact: tuple[str, Path]
) -> None:
    other, other_artifact = other_architecture_artifact
    for architecture, built in ((host_architecture(), artifact), (other, other_artifact)):
        machines = extension_machines(built)
        for extension in EXTENSIONS:
            assert any(name.startswith(extension) for name in machines), (architecture, extension)
        # Every compiled module, not only the codecs', is for the architecture built.
        assert {m for found in machines.values() for m in found} == {ELF_MACHINES[architecture]}


def test_every_module_has_unchecked_bytecode_for_python_3_13(artifact: Path) -> None:
    magic = subprocess.run(
        [str(lambda_python()), "-c", "import importlib.util as u; print(u.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    sources = list(artifact.rglob("*.py"))
    assert len(sources) > 300
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        assert pyc.exists(), source
        header = pyc.read_bytes()[:8]
        assert header[:4].hex() == magic, pyc
        # PEP 552 flags: bit 0 = hash-based, bit 1 = check_source; 0b01 = unchecked hash.
        assert int.from_bytes(header[4:8], "little") == 0b01, pyc


def test_a_clean_interpreter_imports_only_the_artifact_and_the_standard_library(
    artifact: Path, served: dict[str, Any]
) -> None:
    assert not served["site_imported"]
    assert served["modules_outside"] == []
    assert served["handler_file"] == str(artifact / "handler.py")
    assert [p for p in served["sys_path"] if "site-packages" in p] == []
    caches = served["artifact_module_caches"]
    assert caches
    assert all(Path(cache).exists() and "/__pycache__/" in cache for cache in caches)


@pytest.mark.parametrize("index", range(len(REQUESTS)))
def test_the_artifact_answers_as_the_app_does_in_process(
    served: dict[str, Any], index: int
) -> None:
    shape, method, path, query, headers, body = REQUESTS[index]
    from_artifact = read_result(served["results"][index])
    in_process = invoke(shape, method=method, path=path, query=query, headers=headers, body=body)
    assert from_artifact.status == in_process.status == 200
    assert from_artifact.header("content-type") == in_process.header("content-type")
    if path == "/compress":
        report = json.loads(from_artifact.body)
        assert report["input"]["sha256"] == hashlib.sha256(SAMPLE).hexdigest()
        asked = dict(item.split("=") for item in query.split("&"))["codecs"]
        expected = {(codec.name, level) for codec, level in parse_codec_spec(asked)}
        assert {(r["codec"], r["level"]) for r in report["results"]} == expected
        assert all(r["verified"] for r in report["results"])
    elif path == "/compress/gzip":
        # Not byte-equal across versions: Python 3.13's gzip writes OS 255 in the header, 3.11's 3.
        assert gzip.decompress(from_artifact.body) == gzip.decompress(in_process.body) == SAMPLE
    else:
        assert from_artifact.body == in_process.body
        assert from_artifact.header("content-encoding") == "br"
        assert from_artifact.is_base64_encoded


# Run in the artifact's own Python: which bodies importing handler found in the shipped cache,
# and whether every stored body is exactly what compressing its page now gives.
CACHE_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
from app.compression.registry import CODECS
from app.compression.dictionary_transport import dcz_compress
from app.tinysite import precompressed
from app.tinysite.encoded_bodies import body_key, dcz_key, read_cache
from app.compression.zopfli_encoder import zopfli_available
assert not zopfli_available()  # the build's encoder stays out of the artifact
stored = read_cache()
pages = [*precompressed.PAGES.values(), precompressed.NOT_FOUND_PAGE]
pages += [*precompressed.ASSETS.values(), precompressed.DICTIONARY]
dictionary = precompressed.DICTIONARY.representations["identity"].body
fresh = {}
for page in pages:
    identity = page.representations["identity"].body
    for coding, encoding in precompressed.ENCODINGS.items():
        body = page.representations[coding].body
        if encoding.zopfli:
            # zopfli's from the build, which this Python cannot remake (it decodes and beats
            # zlib 9), or for a page the build did not see, zlib 9's.
            assert CODECS[encoding.codec].decompress(body) == identity, (page.path, coding)
            zlib_9 = CODECS[encoding.codec].compress(identity, 9)
            assert body == zlib_9 or len(body) < len(zlib_9), (page.path, coding)
        else:
            assert body == CODECS[encoding.codec].compress(identity, encoding.level)
        fresh[body_key(encoding, identity)] = body
    if page.dictionary_body_sizes is not None:
        body = dcz_compress(identity, dictionary, precompressed.DCZ_LEVEL)
        assert page.representations["dcz"].body == body, page.path
        fresh[dcz_key(identity, dictionary, precompressed.DCZ_LEVEL)] = body
print(json.dumps({
    "hits": precompressed.BODIES.hits,
    "misses": precompressed.BODIES.misses,
    "fallbacks": precompressed.BODIES.fallbacks,
    "stored": len(stored),
    "stored_equals_fresh": stored == fresh,
}))
"""


def probe_encoded_bodies(artifact: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """CACHE_PROBE's report, run by a clean Python 3.13 on `artifact` with `env` added."""
    probe = subprocess.run(
        [str(lambda_python()), "-I", "-S", "-B", "-c", CACHE_PROBE, str(artifact)],
        capture_output=True,
        text=True,
        env={"LOG_LEVEL": "WARNING", **(env or {})},
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    report: dict[str, Any] = json.loads(probe.stdout.splitlines()[-1])
    return report


def test_the_artifact_ships_the_site_encoded_and_importing_finds_every_body(
    artifact: Path,
) -> None:
    assert (artifact / "app" / "tinysite" / "encoded_bodies.marshal").stat().st_size > 0
    found = probe_encoded_bodies(artifact)
    # 10 bodies (5 pages, the 404, app.js, charts.js, sitecheck.js, the dictionary) in 4
    # codings, and 6 in dcz.
    expected = {"hits": 46, "misses": 0, "fallbacks": 0, "stored": 46, "stored_equals_fresh": True}
    assert found == expected


def test_a_deploy_with_another_upload_limit_compresses_its_changed_pages_at_import(
    artifact: Path,
) -> None:
    # The pages state MAX_UPLOAD_BYTES; the build encoded them with the default. Changed pages
    # miss (and are compressed, identical to fresh bytes); unchanged ones still hit.
    found = probe_encoded_bodies(artifact, {"MAX_UPLOAD_BYTES": "1048576"})
    assert found["misses"] > 0
    assert found["hits"] > 0
    assert found["hits"] + found["misses"] == 46
