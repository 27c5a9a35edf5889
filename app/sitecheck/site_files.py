"""A site as files: safe relative paths and their bytes, gathered within the limits.

Both forms of upload end here: an archive's entries (app/sitecheck/archive_reader.py) and loose
files whose names carry relative paths, as a browser sends a folder picked with
`<input type=file webkitdirectory>` ("mysite/css/site.css"). Guarantees of a `Site`:
- every path is relative, '/'-separated, without '.', '..' or empty components, without a
  backslash, NUL or other control character, valid UTF-8, at most MAX_PATH_CHARS long;
- no two files share a path, and no file's path is another's folder;
- at most `max_entries` files, none over `max_entry_bytes`, all together at most
  `max_total_bytes` (counted by the collector as bytes arrive);
- when every path starts with the same folder (the folder a browser was given, or an
  archive's one top folder), that folder is dropped, so two releases' paths match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import SiteLimits


@dataclass(frozen=True)
class SiteFile:
    path: str
    data: bytes


@dataclass(frozen=True)
class Site:
    """The files of one release, in path order; `root` is the folder dropped from every path."""

    files: tuple[SiteFile, ...]
    root: str = ""

    @property
    def total_bytes(self) -> int:
        return sum(len(f.data) for f in self.files)

    def by_path(self) -> dict[str, bytes]:
        return {f.path: f.data for f in self.files}


def unsafe_path(name: str, reason: str) -> SiteCheckError:
    shown = name if len(name) <= 200 else name[:200] + "..."
    return SiteCheckError(
        422,
        "unsafe-path",
        "Unsafe path in the site",
        f"The entry {shown!r} {reason}; every path must be relative and stay inside the site.",
    )


def checked_path(name: str, limits: SiteLimits) -> str:
    """`name` as a safe relative path (a trailing '/' kept for a folder); SiteCheckError if not.

    Refused: '..', absolute paths ('/x', 'C:x'), backslashes (a Windows separator that Unix
    tools take as a character), NUL and control characters, names over the length cap.
    """
    if "\\" in name:
        raise unsafe_path(name, "contains a backslash")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise unsafe_path(name, "contains a control character")
    if len(name) > limits.max_path_chars:
        raise SiteCheckError(
            422,
            "path-too-long",
            "Path too long",
            f"An entry's path has {len(name)} characters; at most {limits.max_path_chars} are "
            "accepted.",
            limit=limits.max_path_chars,
        )
    if name.startswith("/"):
        raise unsafe_path(name, "is absolute")
    if len(name) >= 2 and name[1] == ":":
        raise unsafe_path(name, "starts with a drive letter")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise non_utf8_name(name) from None
    is_folder = name.endswith("/")
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        raise unsafe_path(name, "climbs out with '..'")
    parts = [p for p in parts if p not in ("", ".")]
    if not parts:
        raise unsafe_path(name, "names no file")
    return "/".join(parts) + ("/" if is_folder else "")


def non_utf8_name(name: str) -> SiteCheckError:
    shown = name.encode("utf-8", "backslashreplace").decode("ascii", "replace")
    return SiteCheckError(
        422,
        "non-utf8-name",
        "A name is not UTF-8",
        f"The entry {shown[:200]!r} has a name that is not valid UTF-8; URLs and file systems "
        "need one spelling of every path.",
    )


def too_many_entries(limits: SiteLimits) -> SiteCheckError:
    return SiteCheckError(
        413,
        "too-many-entries",
        "Too many entries",
        f"The site has more than {limits.max_entries:,} entries; at most "
        f"{limits.max_entries:,} are checked in one request (docs/scale.md: larger sites).",
        limit=limits.max_entries,
    )


def entry_too_large(path: str, limits: SiteLimits) -> SiteCheckError:
    return SiteCheckError(
        413,
        "entry-too-large",
        "An entry unpacks too large",
        f"The entry {path[:200]!r} unpacks to more than {limits.max_entry_bytes:,} bytes (counted "
        f"while reading); each file may have at most {limits.max_entry_bytes:,} bytes.",
        limit=limits.max_entry_bytes,
    )


def site_too_large(limits: SiteLimits) -> SiteCheckError:
    return SiteCheckError(
        413,
        "site-too-large",
        "The site unpacks too large",
        f"The site unpacks to more than {limits.max_total_bytes:,} bytes (counted while "
        f"reading); at most {limits.max_total_bytes:,} bytes are checked in one request.",
        limit=limits.max_total_bytes,
    )


def empty_site(what: str) -> SiteCheckError:
    return SiteCheckError(422, "empty-site", "The site is empty", f"{what} holds no files.")


@dataclass
class SiteCollector:
    """Gathers a release's files one by one, enforcing every cap as they arrive.

    `count_entry` is called for each entry before its bytes are read (folders and refused
    kinds included), `count_bytes` as each chunk of a file arrives, `add` once it is whole.
    """

    limits: SiteLimits
    what: str = "The upload"
    entries: int = 0
    total_bytes: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise too_many_entries(self.limits)

    def count_bytes(self, path: str, entry_bytes: int, chunk: int) -> None:
        """Called with the entry's byte count so far (the chunk included)."""
        self.total_bytes += chunk
        if entry_bytes > self.limits.max_entry_bytes:
            raise entry_too_large(path, self.limits)
        if self.total_bytes > self.limits.max_total_bytes:
            raise site_too_large(self.limits)

    def add_folder(self, path: str) -> None:
        self.folders.add(path.rstrip("/"))

    def add(self, path: str, data: bytes) -> None:
        if path in self.files:
            raise SiteCheckError(
                422,
                "duplicate-path",
                "Duplicate path",
                f"{path[:200]!r} appears more than once in the site; each path must be unique.",
            )
        self.files[path] = data

    def site(self) -> Site:
        if not self.files:
            raise empty_site(self.what)
        paths = sorted(self.files)
        _refuse_file_folder_clashes(paths)
        root = common_root(paths)
        files = tuple(SiteFile(p[len(root) :], self.files[p]) for p in paths)
        return Site(files, root.rstrip("/"))


def _refuse_file_folder_clashes(paths: list[str]) -> None:
    """A path that is also another path's folder ('a' and 'a/b') cannot be written as a tree."""
    present = set(paths)
    for path in paths:
        parts = path.split("/")
        for end in range(1, len(parts)):
            folder = "/".join(parts[:end])
            if folder in present:
                raise SiteCheckError(
                    422,
                    "duplicate-path",
                    "Duplicate path",
                    f"{folder[:200]!r} is both a file and the folder of {path[:200]!r}.",
                )


def common_root(paths: Iterable[str]) -> str:
    """'mysite/' when every path lies under that one folder, else ''."""
    roots = {p.split("/", 1)[0] + "/" if "/" in p else "" for p in paths}
    if len(roots) == 1:
        (root,) = roots
        return root
    return ""


def site_from_loose_files(
    parts: Iterable[tuple[str | None, bytes]], limits: SiteLimits, what: str = "The upload"
) -> Site:
    """A site from (filename, bytes) pairs whose filenames carry relative paths."""
    collector = SiteCollector(limits, what)
    for name, data in parts:
        collector.count_entry()
        if not name:
            raise unsafe_path("", "has no file name")
        path = checked_path(name, limits)
        if path.endswith("/"):
            raise unsafe_path(name, "names a folder")
        collector.count_bytes(path, len(data), len(data))
        collector.add(path, data)
    return collector.site()
