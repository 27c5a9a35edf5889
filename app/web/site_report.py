"""The site check's JSON answer (app/sitecheck/report_json.py) as documented models, for the
OpenAPI description of POST /site.

Every byte figure is a measured size; speeds are MB/s (10^6 bytes a second) of the original
bytes, from the engine's timing (app/engine/job_timing.py).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.sitecheck.report_json import TYPICAL_SERVER_TEXT


class SiteChoiceModel(BaseModel):
    coding: str = Field(
        description="The Content-Encoding: br, gzip, zstd, dcz; 'identity' for the file as it "
        "is; 'cached' for an unchanged file a returning visitor already holds."
    )
    method: str = Field(description="What made it: 'brotli 11', 'zopfli', 'zstd 19', ...")
    size: int = Field(description="Bytes sent.")


class SiteResultModel(BaseModel):
    coding: str
    method: str
    size: int
    saving: float = Field(description="Percent of the file saved.")
    compress_mbps: float
    decompress_mbps: float
    verified: bool = Field(description="Decoded to the file byte for byte.")


class SiteCutModel(BaseModel):
    path: str
    candidate: str
    reason: str


class SiteFileModel(BaseModel):
    path: str
    media_type: str
    size: int
    previous_size: int | None = Field(description="The previous release's file at this path.")
    unchanged: bool
    static: SiteChoiceModel = Field(description="Fewest bytes, ties to faster decompression.")
    dynamic: SiteChoiceModel = Field(description="Fewest bytes among levels at the speed floor.")
    returning: SiteChoiceModel | None = Field(description="With a previous release only.")
    typical_server: int = Field(description="Bytes a typical server default sends.")
    skipped: str | None = Field(description="Why the file is sent as it is, if it is.")
    results: list[SiteResultModel] = Field(description="Every candidate measured, smallest first.")
    cuts: list[SiteCutModel] = Field(description="Candidates the budget did not reach.")


class SiteTotalsModel(BaseModel):
    files: int
    identity: int = Field(description="Bytes of the site sent uncompressed.")
    typical_server: int = Field(description=f"Bytes with {TYPICAL_SERVER_TEXT}.")
    static: int = Field(description="Bytes with each file's static choice.")
    dynamic: int = Field(description="Bytes with each file's dynamic choice.")
    returning: int | None = Field(
        description="Bytes a visitor holding the previous release downloads (null without one)."
    )


class SiteMediaTypeModel(SiteTotalsModel):
    media_type: str


class SitePassModel(BaseModel):
    name: str
    files: int
    elapsed_ms: float


class SiteOptionsModel(BaseModel):
    min_size: int
    min_saving_percent: float
    dynamic_floor_mbps: float


class SiteReport(BaseModel):
    """A site's serving plan: per file, per media type and in total."""

    root: str = Field(description="The folder every path shared, dropped from the paths.")
    previous_files: int | None
    totals: SiteTotalsModel
    by_media_type: list[SiteMediaTypeModel]
    files: list[SiteFileModel]
    cuts: list[SiteCutModel] = Field(description="Every candidate the time budget did not reach.")
    options: SiteOptionsModel
    typical_server: str = Field(description="What the typical-server baseline is.")
    zopfli: bool = Field(description="Whether zopfli's gzip was among the candidates.")
    workers: int
    budget_ms: float
    elapsed_ms: float
    passes: list[SitePassModel]
