"""Every dataset kind, its columns, types, units and allowed values: the single source of truth.

`data/README.md` documents the same tables; `tests/test_schema.py` fails when they drift apart.
Column names are English identifiers; the Chinese labels live in `ui/text.py`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

STORAGE_CRS = "EPSG:4490"  # CGCS2000, the national standard; the demo is stored in it
DISPLAY_CRS = "EPSG:4326"  # everything leaving geo/ for display
METRIC_CRS = "EPSG:4545"   # CGCS2000 3-degree GK CM 108E: areas and lengths for Dazhou

YEARS = tuple(range(2014, 2021))  # the campaign's annual as-of dates (year end)
INCIDENCE_THRESHOLD = 0.03         # 一低: incidence below 3 %

ColumnType = Literal["code", "str", "int", "float", "bool", "year", "enum", "geometry"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    unit: str = ""
    required: bool = True          # the column must exist in the file
    nullable: bool = False         # a cell may be empty
    allowed: tuple[str, ...] = ()  # for enums
    minimum: float | None = None


@dataclass(frozen=True)
class Dataset:
    kind: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CODE, NAME, LEVEL, PARENT, GEOMETRY, YEAR = "code", "name", "level", "parent_code", "geometry", "year"

UNITS = Dataset(
    kind="units",
    description="Administrative boundaries of counties, townships and villages (one row per unit).",
    key=(CODE,),
    columns=(
        Column(CODE, "code", "12-digit statistical division code (统计用区划代码), text"),
        Column(NAME, "str", "official name"),
        Column(LEVEL, "enum", "level, derived from the code and checked against it",
               allowed=("county", "township", "village")),
        Column(PARENT, "code", "code of the parent unit, derived from the code and checked"),
        Column(GEOMETRY, "geometry", "Polygon or MultiPolygon; CRS must be declared"),
    ),
)

EXIT_STATUS = Dataset(
    kind="exit_status",
    description=(
        "Exit status per unit and as-of year (year end). Counts are given for villages and summed "
        "upwards; county rows carry the poor-county flag and exit years. A year row only knows "
        "exits up to its own year."
    ),
    key=(CODE, YEAR),
    columns=(
        Column(CODE, "code", "unit code (county or village; township rows optional)"),
        Column(YEAR, "year", "as-of year (year end)", minimum=2014),
        Column("poor_flag", "bool", "1 = registered poor unit (贫困县 / 贫困村), 0 = not", nullable=True),
        Column("planned_exit_year", "year", "planned exit year (计划退出年度); empty for non-poor units",
               nullable=True),
        Column("actual_exit_year", "year",
               "actual exit year (摘帽 / 出列) if exited by the as-of year, else empty", nullable=True),
        Column("registered_poor", "int", "registered poor population ever registered (建档立卡贫困人口)",
               unit="persons", nullable=True, minimum=0),
        Column("exited_poor", "int", "registered poor who have exited by the as-of year (已脱贫人口)",
               unit="persons", nullable=True, minimum=0),
        Column("rural_population", "int", "rural registered population (农业户籍人口), incidence denominator",
               unit="persons", nullable=True, minimum=0),
        Column("monitored_unstable", "int", "monitored households: unstable exited (脱贫不稳定户)",
               unit="households", nullable=True, minimum=0),
        Column("monitored_marginal", "int", "monitored households: marginal at-risk (边缘易致贫户)",
               unit="households", nullable=True, minimum=0),
        Column("monitored_sudden", "int", "monitored households: sudden hardship (突发严重困难户)",
               unit="households", nullable=True, minimum=0),
        Column("poor_villages", "int", "poor villages (贫困村数), a township or county figure when its "
               "village rows are not delivered", unit="villages", required=False, nullable=True, minimum=0),
        Column("exited_villages", "int", "exited poor villages (已出列贫困村数), a township or county figure",
               unit="villages", required=False, nullable=True, minimum=0),
    ),
)

VILLAGE_SERVICES = ("road", "water", "power", "network", "clinic", "cultural_room")
TOWNSHIP_SERVICES = ("health_centre", "central_school", "service_centre")  # 乡三有

SERVICES = Dataset(
    kind="services",
    description=(
        "Infrastructure and public services per unit and as-of year. Village rows fill the village "
        "columns, township rows the 乡三有 columns; the other group stays empty."
    ),
    key=(CODE, YEAR),
    columns=(
        Column(CODE, "code", "village or township code"),
        Column(YEAR, "year", "as-of year (year end)", minimum=2014),
        Column("road", "bool", "hardened road to the village (通村硬化路)", nullable=True),
        Column("water", "bool", "safe drinking water (饮水安全)", nullable=True),
        Column("power", "bool", "household electricity / upgraded grid (生活用电)", nullable=True),
        Column("network", "bool", "communications network (通信网络)", nullable=True),
        Column("clinic", "bool", "standard village clinic (卫生室)", nullable=True),
        Column("cultural_room", "bool", "cultural room (文化室)", nullable=True),
        Column("collective_income", "float", "village collective-economy income (集体经济收入)",
               unit="yuan / year", nullable=True, minimum=0),
        Column("health_centre", "bool", "compliant township health centre (卫生院)", nullable=True),
        Column("central_school", "bool", "central school (中心校)", nullable=True),
        Column("service_centre", "bool", "convenience service centre (便民服务中心)", nullable=True),
    ),
)

SITE_STAGES = ("not_started", "building", "completed", "occupied")  # 未开工 / 在建 / 竣工 / 已入住

SITES = Dataset(
    kind="sites",
    description="Centralised relocation sites (易地扶贫搬迁集中安置点) as points, one row per site.",
    key=("site_id",),
    columns=(
        Column("site_id", "str", "site identifier, unique (generated at import when not delivered)"),
        Column(NAME, "str", "site name"),
        Column("township_code", "code", "code of the township the site belongs to"),
        Column("lon", "float", "longitude, CGCS2000 (EPSG:4490)", unit="degrees", nullable=True),
        Column("lat", "float", "latitude, CGCS2000 (EPSG:4490)", unit="degrees", nullable=True),
        # Site counts carry no minimum: negative values are kept and listed by geo.sites.site_quality.
        Column("planned_households", "int", "planned households (计划搬迁户数)", unit="households"),
        # real site lists rarely carry more than name, location and planned households
        Column("moved_households", "int", "households moved in (已搬迁户数)", unit="households", nullable=True),
        Column("planned_persons", "int", "planned persons (计划搬迁人数)", unit="persons", nullable=True),
        Column("moved_persons", "int", "persons moved in (已搬迁人数)", unit="persons", nullable=True),
        Column("stage", "enum", "construction stage (未开工 / 在建 / 竣工 / 已入住)", allowed=SITE_STAGES,
               nullable=True),
        Column("start_year", "year", "construction start year", nullable=True),
        Column("completion_year", "year", "completion year, empty while not completed", nullable=True),
        Column("jobs_found", "int", "movers in work (就业人数), follow-up support", unit="persons",
               nullable=True),
        Column("industry", "bool", "supporting industry at the site (配套产业)", nullable=True),
        Column("school_nearby", "bool", "school at or near the site", nullable=True),
        Column("clinic_nearby", "bool", "clinic at or near the site", nullable=True),
    ),
)

DATASETS: dict[str, Dataset] = {d.kind: d for d in (UNITS, EXIT_STATUS, SERVICES, SITES)}

# File names of a dataset folder (the bundled demo lives in data/demo/).
FILES = {
    "units": "units.gpkg",
    "exit_status": "exit_status.csv",
    "services": "services.csv",
    "sites": "sites.csv",
}
UNITS_LAYER = "units"

YEAR_RANGE = range(2000, 2101)  # plausible years in any year column; YEARS is the campaign

# Values users write in their own files, mapped onto the schema's enum keys (data vocabulary).
ENUM_ALIASES = {
    "未开工": "not_started", "在建": "building", "竣工": "completed", "已竣工": "completed",
    "已入住": "occupied", "入住": "occupied",
}
