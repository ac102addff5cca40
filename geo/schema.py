"""Every dataset kind, its columns, types, units and allowed values: the single source of truth.

`data/README.md` documents the same tables; `tests/test_schema.py` fails when they drift apart.
Column names are English identifiers; the Chinese labels live in `ui/text.py`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

STORAGE_CRS = "EPSG:4490"  # CGCS2000, the national standard; the demo is stored in it
DISPLAY_CRS = "EPSG:4326"  # everything leaving geo/ for display
# The metric CRS depends on the region: geo.identity chooses it from the loaded dataset.

YEARS = tuple(range(2014, 2021))  # the campaign's annual as-of dates (year end)
INCIDENCE_THRESHOLD = 0.03         # 一低: incidence below 3 %

ColumnType = Literal["code", "str", "int", "float", "bool", "year", "enum", "geometry", "date"]


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

# ------------------------------------------------------------------ inspection (督战), optional kinds
# A dataset folder may hold these three tables; without them the portal still works and the 督战
# page says that no inspection data is loaded.

PROBLEM_SOURCES = ("supervision", "patrol", "audit", "assessment", "unannounced", "self_check")
PROBLEM_CATEGORIES = ("education", "medical", "housing", "water", "industry", "employment",
                      "infrastructure", "funds", "conduct", "other")
PROBLEM_STATUSES = ("open", "in_progress", "closed")            # 未整改 / 整改中 / 已销号
PROJECT_CATEGORIES = ("industry", "infrastructure", "environment", "consumption", "other")
PROJECT_STATUSES = ("not_started", "building", "finished", "accepted")  # 未开工 / 在建 / 完工 / 验收
SUPERVISION_LEVELS = ("national", "province", "city", "county")  # 国家 / 省 / 市 / 县

PROBLEMS = Dataset(
    kind="problems",
    description=(
        "Problem list (问题清单 / 整改台账): one row per problem found by inspection, with its "
        "rectification deadline and closing (销号). Status and closed date are as of the export; "
        "the portal recomputes what was open on any as-of date from the dates."
    ),
    key=("problem_id",),
    columns=(
        Column("problem_id", "str", "problem identifier, unique"),
        Column(CODE, "code", "unit the problem belongs to (village, township or county)"),
        Column("source", "enum", "how it was found (督查 / 巡视 / 审计 / 考核 / 暗访 / 自查)",
               allowed=PROBLEM_SOURCES),
        Column("category", "enum", "problem category", allowed=PROBLEM_CATEGORIES),
        Column("description", "str", "problem description (问题描述)"),
        Column("found_date", "date", "date found (发现时间)"),
        Column("deadline", "date", "rectification deadline (完成时限), not before the found date"),
        Column("responsible_unit", "str", "responsible unit (责任单位)"),
        Column("responsible_person", "str", "responsible person as a role or title (责任人), never a phone",
               nullable=True),
        Column("measure", "str", "rectification measure (整改措施)", nullable=True),
        Column("status", "enum", "status (未整改 / 整改中 / 已销号)", allowed=PROBLEM_STATUSES),
        Column("closed_date", "date", "date closed (销号时间); required when closed", nullable=True),
        Column("evidence", "str", "evidence note (整改佐证)", nullable=True),
    ),
)

PROJECTS = Dataset(
    kind="projects",
    description="Project list (项目清单 / 项目库): one row per poverty-alleviation project.",
    key=("project_id",),
    columns=(
        Column("project_id", "str", "project identifier, unique"),
        Column(NAME, "str", "project name (项目名称)"),
        Column(CODE, "code", "unit where it is built (village, township or county)"),
        Column("category", "enum", "category (产业发展 / 基础设施 / 环境整治 / 消费扶贫 / 其他)",
               allowed=PROJECT_CATEGORIES),
        Column("funds", "float", "funds (资金规模)", unit="10,000 yuan (万元)", minimum=0),
        Column("fund_source", "str", "source of funds (资金来源)", nullable=True),
        Column("planned_start", "date", "planned start (计划开工)"),
        Column("planned_finish", "date", "planned completion (计划完工), not before the planned start"),
        Column("actual_start", "date", "actual start (实际开工)", nullable=True),
        Column("actual_finish", "date", "actual completion (实际完工)", nullable=True),
        Column("status", "enum", "status (未开工 / 在建 / 完工 / 验收)", allowed=PROJECT_STATUSES),
        Column("households", "int", "beneficiary households (受益户数)", unit="households",
               nullable=True, minimum=0),
        Column("persons", "int", "beneficiary persons (受益人数)", unit="persons", nullable=True, minimum=0),
    ),
)

SUPERVISION = Dataset(
    kind="supervision",
    description="Listed supervision (挂牌督战): units under supervision per year and by whom.",
    key=(CODE, YEAR),
    columns=(
        Column(CODE, "code", "county or village (or township) under listed supervision"),
        Column(YEAR, "year", "year of the supervision", minimum=2014),
        Column("supervision_level", "enum", "who supervises (国家 / 省 / 市 / 县)", allowed=SUPERVISION_LEVELS),
    ),
)

OPTIONAL_KINDS = ("problems", "projects", "supervision")
OPTIONAL_FILES = {"problems": "problems.csv", "projects": "projects.csv", "supervision": "supervision.csv"}
DATASETS.update({d.kind: d for d in (PROBLEMS, PROJECTS, SUPERVISION)})
FILES.update(OPTIONAL_FILES)

# Headers as agencies write them for the inspection kinds (merged into the import's aliases).
INSPECTION_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "problem_id": ("问题编号", "序号编号", "问题序号"),
    "source": ("问题来源", "来源"),
    "category": ("问题类别", "项目类别", "类别", "类型"),
    "description": ("问题描述", "存在问题", "问题"),
    "found_date": ("发现时间", "发现日期", "交办时间"),
    "deadline": ("完成时限", "整改时限", "整改期限"),
    "responsible_unit": ("责任单位", "牵头单位"),
    "responsible_person": ("责任人",),
    "measure": ("整改措施",),
    "closed_date": ("销号时间", "销号日期", "完成时间"),
    "evidence": ("整改佐证", "佐证材料", "整改前后佐证"),
    "project_id": ("项目编号",),
    "name": ("项目名称",),
    "funds": ("资金规模", "资金", "投资", "资金规模（万元）"),
    "fund_source": ("资金来源",),
    "planned_start": ("计划开工", "计划开工时间", "计划开工日期"),
    "planned_finish": ("计划完工", "计划完工时间", "计划竣工时间"),
    "actual_start": ("实际开工", "实际开工时间", "开工时间"),
    "actual_finish": ("实际完工", "实际完工时间", "竣工时间"),
    "households": ("受益户数", "受益户"),
    "persons": ("受益人数", "受益人口"),
    "supervision_level": ("督战层级", "挂牌层级", "挂牌督战层级"),
    "status": ("整改状态", "项目状态", "状态"),
}

YEAR_RANGE = range(2000, 2101)  # plausible years in any year column; YEARS is the campaign

# Chinese values of the inspection enums (data vocabulary, merged into ENUM_ALIASES).
INSPECTION_VALUES: dict[str, tuple[str, ...]] = {
    "supervision": ("督查",), "patrol": ("巡视", "巡察"), "audit": ("审计",), "assessment": ("考核", "成效考核"),
    "unannounced": ("暗访",), "self_check": ("自查",),
    "education": ("义务教育",), "medical": ("基本医疗",), "housing": ("住房安全",), "water": ("饮水安全",),
    "industry": ("产业", "产业发展"), "employment": ("就业",), "infrastructure": ("基础设施",),
    "funds": ("资金项目",), "conduct": ("作风",), "other": ("其他",),
    "environment": ("环境整治",), "consumption": ("消费扶贫",),
    "open": ("未整改",), "in_progress": ("整改中",), "closed": ("已销号", "销号"),
    "finished": ("完工", "已完工"), "accepted": ("验收", "已验收"),
    "national": ("国家",), "province": ("省", "省级"), "city": ("市", "市级"), "county": ("县", "县级"),
}

# Values users write in their own files, mapped onto the schema's enum keys (data vocabulary).
ENUM_ALIASES = {
    "未开工": "not_started", "在建": "building", "竣工": "completed", "已竣工": "completed",
    "已入住": "occupied", "入住": "occupied",
    **{label: key for key, labels in INSPECTION_VALUES.items() for label in labels},
}
