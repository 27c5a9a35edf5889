"""A site from the local disk, for the CLI: a folder walked, or an archive file read.

The same rules and caps as an upload (app/sitecheck/site_files.py): a folder's symbolic links,
devices and FIFOs are refused (with the same SiteCheckError an archive's would get), never
followed; a file over the per-file cap or a folder over the total stops the reading there.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app.sitecheck.archive_reader import mode_kind, unsupported_entry
from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import SiteLimits
from app.sitecheck.site_files import Site, SiteCollector, checked_path
from app.sitecheck.site_input import site_from_parts


def read_local_site(path: Path, limits: SiteLimits) -> Site:
    """The site at `path`: a folder's files (paths relative to it), or an archive's entries."""
    if not path.is_dir():
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SiteCheckError(
                400, "no-site", "No site", f"Cannot read {path}: {error.strerror}."
            ) from None
        return site_from_parts([(path.name, data)], limits)
    collector = SiteCollector(limits, f"The folder {path}")
    for folder, subfolders, names in os.walk(path):
        subfolders.sort()
        for name in sorted(names) + [d for d in subfolders if (Path(folder) / d).is_symlink()]:
            full = Path(folder) / name
            relative = full.relative_to(path).as_posix()
            collector.count_entry()
            checked = checked_path(relative, limits)
            mode = full.lstat().st_mode
            if not stat.S_ISREG(mode):
                raise unsupported_entry(checked, mode_kind(mode))
            size = full.stat().st_size
            collector.count_bytes(checked, size, size)
            collector.add(checked, full.read_bytes())
    site = collector.site()
    # A folder given on the command line is the site's root: its files keep their full paths.
    if site.root:
        return Site(tuple(type(f)(f"{site.root}/{f.path}", f.data) for f in site.files), "")
    return site
