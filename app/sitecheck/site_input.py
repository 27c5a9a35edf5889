"""Which form a site came in, from the parts of a request: one archive, or loose files.

A part's content decides whether it is an archive (app/sitecheck/archive_reader.py), never its
name; its name decides only whether it sits inside a folder. Rules:
- one part that is an archive and not inside a folder: the site is what the archive holds;
- otherwise every part is a file of the site at the path its name carries (an archive inside
  a picked folder, "mysite/downloads/a.zip", is a file like any other, never opened);
- an archive not inside a folder beside other parts is refused: the request mixes the forms.
The same rules read the `previous` release. A previous release without a site is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.sitecheck.archive_reader import archive_format, read_archive
from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import SiteLimits
from app.sitecheck.site_files import Site, site_from_loose_files

Part = tuple[str | None, bytes]


def _is_top_level_archive(part: Part) -> bool:
    name, data = part
    return archive_format(data) is not None and "/" not in (name or "").replace("\\", "/")


def site_from_parts(parts: Sequence[Part], limits: SiteLimits, field: str = "file") -> Site:
    """The site the parts of form field `field` carry; SiteCheckError when it cannot be read."""
    what = f"The '{field}' upload"
    if len(parts) == 1 and _is_top_level_archive(parts[0]):
        return read_archive(parts[0][1], limits, what)
    archives = [name or "(no name)" for name, data in parts if _is_top_level_archive((name, data))]
    if archives:
        raise SiteCheckError(
            422,
            "ambiguous-site",
            "An archive and loose files together",
            f"The '{field}' parts hold an archive ({archives[0][:200]!r}) beside "
            f"{len(parts) - 1} other part(s); send one archive, or the loose files of a folder "
            "(their names carrying their paths), not both.",
        )
    return site_from_loose_files(parts, limits, what)


def sites_from_parts(
    site_parts: Sequence[Part], previous_parts: Sequence[Part], limits: SiteLimits
) -> tuple[Site, Site | None]:
    """The site and its previous release (None without one), each read within `limits`."""
    if not site_parts:
        if previous_parts:
            raise SiteCheckError(
                400,
                "previous-without-site",
                "A previous release without a site",
                "The form has a 'previous' release but no site in 'file': the previous release "
                "is what each file of the site is compared with.",
            )
        raise SiteCheckError(
            400,
            "no-site",
            "No site",
            "Send the site in the form field 'file': one archive (zip, tar, tar.gz, tar.xz, "
            "tar.bz2, tar.zst) or the files of a folder, their names carrying their paths.",
        )
    site = site_from_parts(site_parts, limits, "file")
    previous = site_from_parts(previous_parts, limits, "previous") if previous_parts else None
    return site, previous
