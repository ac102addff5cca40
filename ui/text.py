"""Every Chinese string of the UI, in one place, so wording stays consistent.

`t(key, **params)` formats an entry; `error_text(DataError)` words a data error with its file,
row, column and value.
"""
from __future__ import annotations

from geo.errors import DataError

TEXT: dict[str, str] = {
    # app and navigation
    "app.title": "脱贫攻坚进度地图",
    "app.icon": "🗺️",
    "app.city": "达州市",
    "nav.overview": "总览",
    "nav.exit_map": "退出进度",
    "nav.about": "数据说明",
    "demo.notice": "演示数据：乡镇、村边界及全部统计数字均为合成数据，仅供演示，不代表真实情况。",
    "demo.badge": "演示数据",
    # sidebar
    "sidebar.year": "截至年度",
    "sidebar.year_help": "数据为所选年度年末状态",
    "sidebar.asof": "截至 {year} 年底",
    # overview
    "overview.title": "{city}脱贫攻坚进度总览",
    "overview.map_title": "县（市、区）摘帽情况（{year}年）",
    "kpi.counties": "贫困县摘帽",
    "kpi.villages": "贫困村出列",
    "kpi.remaining": "剩余贫困人口",
    "kpi.incidence": "贫困发生率",
    "kpi.of": "{done} / {total}",
    "kpi.persons": "{value:,} 人",
    "kpi.percent": "{value:.2%}",
    "kpi.none": "—",
    # statuses (legend order)
    "status.not_exited": "未退出",
    "status.planned": "当年计划退出",
    "status.exited": "已退出",
    "status.non_poor": "非贫困",
    "status.no_data": "无数据",
    "legend.count": "{label}（{count}）",
    "legend.status": "退出状态",
    # fields (tooltips, tables)
    "field.code": "区划代码",
    "field.name": "名称",
    "field.level": "层级",
    "field.status": "退出状态",
    "field.poor_flag": "贫困县/村",
    "field.planned_exit_year": "计划退出年度",
    "field.actual_exit_year": "实际退出年度",
    "field.registered_poor": "建档立卡贫困人口",
    "field.exited_poor": "已脱贫人口",
    "field.remaining_poor": "剩余贫困人口",
    "field.rural_population": "农业户籍人口",
    "field.incidence": "贫困发生率",
    "field.exit_rate": "脱贫率",
    "field.monitored": "监测户数",
    "field.poor_villages": "贫困村数",
    "field.exited_villages": "已出列贫困村",
    "level.city": "市",
    "level.county": "县（市、区）",
    "level.township": "乡（镇、街道）",
    "level.village": "村（社区）",
    # exit-progress page
    "exit.title": "退出进度",
    "exit.region": "区域",
    "exit.county": "县（市、区）",
    "exit.township": "乡（镇、街道）",
    "exit.all_counties": "全市",
    "exit.all_townships": "全县",
    "exit.level": "显示层级",
    "exit.indicator": "指标",
    "exit.classing": "分级方法",
    "exit.mode": "显示方式",
    "exit.poor_only": "仅显示贫困县/村",
    "exit.status_filter": "退出状态",
    "exit.search": "查找单位（名称或区划代码）",
    "exit.search_results": "找到 {count} 个单位",
    "exit.search_none": "没有找到匹配的单位",
    "exit.search_go": "定位",
    "exit.search_pick": "选择单位",
    "exit.breadcrumb": "当前区域",
    "exit.map_title": "{region}{level}{indicator}（{year}年{mode}）",
    "exit.table_title": "地图中的单位（{count} 个）",
    "exit.download_csv": "下载 CSV",
    "exit.download_xlsx": "下载 Excel",
    "exit.empty": "当前筛选条件下没有单位。",
    "exit.url_notice": "链接中的部分参数无效，已改用默认值：{params}",
    "exit.click_hint": "点击县可查看其乡镇，点击乡镇可查看其村；用上方路径返回上级。",
    "exit.flags": "一致性提示",
    "exit.flag_count": "有 {count} 个单位存在数据矛盾（地图中紫色粗边框）",
    "exit.file_name": "退出进度_{region}_{level}_{year}",
    "mode.asof": "截至年底",
    "mode.new": "当年新退出",
    "indicator.status": "退出状态",
    "indicator.incidence": "贫困发生率",
    "indicator.remaining_poor": "剩余贫困人口",
    "indicator.exit_rate": "脱贫率",
    "indicator.monitored": "监测户数",
    "classing.quantiles": "分位数",
    "classing.natural_breaks": "自然断点",
    "classing.policy": "政策阈值（发生率 3 %）",
    "flag.county_open_villages": "已摘帽但仍有未出列贫困村",
    "flag.village_high_incidence": "已出列但贫困发生率仍不低于 3 %",
    "flag.tooltip": "数据矛盾，请核实",
    "field.parent": "上级",
    "field.flag": "一致性提示",
    "field.value": "指标值",
    "field.incidence_pct": "贫困发生率（%）",
    "field.exit_rate_pct": "脱贫率（%）",
    # about page
    "about.title": "数据说明",
    "about.sources": "数据来源",
    "about.schema": "数据结构",
    "about.sizes": "数据规模",
    "about.units": "{level}：{count} 个",
    "about.columns": "列名",
    "about.type": "类型",
    "about.unit": "单位",
    "about.description": "说明",
    "about.allowed": "允许值",
    # errors
    "error.title": "数据加载失败",
    "error.where.file": "文件 {source}",
    "error.where.row": "第 {row} 行",
    "error.where.column": "列 {column}",
    "error.where.value": "值“{value}”",
    "error.hint": "请修正数据文件后刷新页面；已发布的数据未被改动。",
    "rule.file_missing": "找不到数据文件",
    "rule.file_corrupt": "文件已损坏或格式无法识别",
    "rule.column_missing": "缺少必需的列",
    "rule.crs_missing": "未声明坐标参考系，无法确定位置（系统不会猜测坐标系）",
    "rule.code_empty": "区划代码为空",
    "rule.code_float": "区划代码是小数，位数已丢失（请在 Excel 中将代码列设为文本）",
    "rule.code_scientific": "区划代码为科学计数法，位数已丢失（请在 Excel 中将代码列设为文本后重新录入）",
    "rule.code_not_digits": "区划代码只能包含数字",
    "rule.code_length": "区划代码应为 12 位数字",
    "rule.code_level_unsupported": "不是县、乡、村级区划代码",
    "rule.code_wrong_level": "区划代码层级不符合要求",
    "rule.code_unknown": "区划代码在边界数据中不存在",
    "rule.key_duplicate": "代码重复",
    "rule.level_mismatch": "层级与区划代码不一致",
    "rule.parent_mismatch": "上级代码与区划代码不一致",
    "rule.parent_unknown": "上级单位在边界数据中不存在",
    "rule.geometry_empty": "边界为空",
    "rule.geometry_not_polygon": "边界不是面",
    "rule.value_missing": "必填值为空",
    "rule.value_not_bool": "应为 1/0 或 是/否",
    "rule.value_not_allowed": "取值不在允许范围内",
    "rule.value_not_number": "应为数字",
    "rule.value_not_integer": "应为整数",
    "rule.value_negative": "不能为负数",
    "rule.value_too_small": "数值过小",
    "rule.year_out_of_range": "年份超出范围",
    "rule.exit_after_asof": "实际退出年度晚于统计年度",
    "nav.relocation": "易地搬迁",
    "nav.services": "基础设施",
    "nav.data": "数据管理",
    # --- relocation & services pages (issue 4): add entries below this line ---
    # --- export (issue 5): add entries below this line ---
    # --- data management / import (issue 6): add entries below this line ---
}


def t(key: str, **params: object) -> str:
    """The UI string `key`, formatted with `params`. A missing key is a bug: KeyError."""
    text = TEXT[key]
    return text.format(**params) if params else text


def error_text(error: DataError) -> str:
    """One Chinese sentence naming file, row, column, value and the broken rule."""
    parts = [t("error.where.file", source=error.source)]
    if error.row is not None:
        parts.append(t("error.where.row", row=error.row))
    if error.column is not None:
        parts.append(t("error.where.column", column=error.column))
    if error.value is not None and str(error.value) != "":
        parts.append(t("error.where.value", value=error.value))
    rule = TEXT.get(f"rule.{error.rule}", error.rule)
    return f"{'，'.join(parts)}：{rule}。"


def group(prefix: str) -> dict[str, str]:
    """All entries under `prefix.` keyed by the rest of the key, e.g. group("status")."""
    start = prefix + "."
    return {key[len(start):]: value for key, value in TEXT.items() if key.startswith(start)}
