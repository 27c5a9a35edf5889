"""The plan's choices and totals, the budget's cuts and the precompressed tree, on the core."""

from __future__ import annotations

import io
import time
import zipfile

from site_archives import sample_site

from app.sitecheck.limits import SiteLimits
from app.sitecheck.media_types import media_type
from app.sitecheck.plan import IDENTITY, PlanOptions, plan_site
from app.sitecheck.precompressed_tree import precompressed_zip
from app.sitecheck.site_files import Site, site_from_loose_files

LIMITS = SiteLimits()


def the_site() -> Site:
    return site_from_loose_files(sample_site(), LIMITS)


def test_static_choice_is_the_smallest_verified_candidate() -> None:
    plan = plan_site(the_site(), None, time.monotonic() + 25)
    for file in plan.files:
        if file.skipped:
            assert file.static.coding == IDENTITY
            assert file.static.size == file.size
            continue
        sizes = [m.size for m in file.results if m.verified and m.candidate.coding != "dcz"]
        assert file.static.size == min(sizes)
        assert file.static.size <= file.dynamic.size <= file.size


def test_dynamic_choice_respects_the_floor() -> None:
    plan = plan_site(the_site(), None, time.monotonic() + 25, PlanOptions(dynamic_floor_mbps=50))
    for file in plan.files:
        if file.dynamic.coding == IDENTITY:
            continue
        chosen = next(m for m in file.results if m.candidate.label == file.dynamic.method)
        assert chosen.compress_mbps >= 50
    # An unreachable floor leaves nothing to compress on the fly.
    slow = plan_site(the_site(), None, time.monotonic() + 25, PlanOptions(dynamic_floor_mbps=1e9))
    assert all(f.dynamic.coding == IDENTITY for f in slow.files)
    assert slow.totals.dynamic == slow.totals.identity


def test_a_spent_budget_cuts_everything_and_totals_stay_measured() -> None:
    started = time.monotonic()
    plan = plan_site(the_site(), None, time.monotonic() + 0.0)
    assert time.monotonic() - started < 2
    assert plan.cuts
    assert plan.totals.static == plan.totals.identity == plan.totals.typical_server
    assert all(f.static.coding == IDENTITY for f in plan.files)


def test_a_short_budget_answers_in_time() -> None:
    big = [(f"s/f{i}.js", (f"var v{i} = {i};\n" * 20000).encode()) for i in range(8)]
    site = site_from_loose_files(big, LIMITS)
    started = time.monotonic()
    plan = plan_site(site, None, started + 1.0)
    assert time.monotonic() - started < 1.5
    assert plan.cuts  # brotli 11 on 8 x 300 KB does not fit a second


def test_media_types_by_extension_and_sniffing() -> None:
    assert media_type("a/b.CSS", b"") == "text/css"
    assert media_type("LICENSE", b"MIT License\n") == "text/plain"
    assert media_type("x", b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert media_type("page", b"  <!DOCTYPE html><p>") == "text/html"
    assert media_type("blob", bytes(range(256))) == "application/octet-stream"


def test_tree_variants_decode_and_are_smaller() -> None:
    site = the_site()
    plan = plan_site(site, None, time.monotonic() + 25, PlanOptions(keep_variants=True))
    tree = precompressed_zip(plan, site.by_path())
    assert tree.variants > 0
    assert not tree.left_out
    with zipfile.ZipFile(io.BytesIO(tree.body)) as archive:
        assert len(archive.namelist()) == tree.variants
    # A cap too small for anything leaves every variant out, listed.
    tiny = precompressed_zip(plan, site.by_path(), max_bytes=2000)
    assert tiny.variants < tree.variants
    assert tiny.left_out
