"""Importing the inspection kinds (问题清单, 项目清单, 挂牌督战) through the public import API:
Chinese headers and values, bad dates, deadline before the found date, unknown unit, closed
without a closed date, and personal data (ID numbers, phones) refused with a located message."""
from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from geo import schema
from geo.ingest.pipeline import publish
from geo.ingest.store import Store
from geo.ingest.templates import column_help, template_xlsx
from geo.read import read_bundle
from tests import tiny
from tests.ingest import fixtures as fx
from ui.import_text import problem_text

HEADERS = ["问题编号", "区划代码", "问题来源", "问题类别", "问题描述", "发现时间", "完成时限", "责任单位",
           "责任人", "整改措施", "整改状态", "销号时间"]


def _problem_rows() -> list[list[str]]:
    return [
        ["WT-1", tiny.VILLAGES[0], "督查", "饮水安全", "水质检测记录缺失", "2020-03-02", "2020-05-31",
         "水务局", "驻村第一书记", "补齐检测", "已销号", "2020-05-20"],
        ["WT-2", tiny.TOWNS[1], "暗访", "住房安全", "危房未验收", "2020/3/5", "2020年6月30日",
         "三汇镇人民政府", "乡镇党委书记", "限期验收", "整改中", ""],
        ["WT-3", tiny.COUNTY, "审计", "资金项目", "公示不及时", "2020.4.1", "2020-06-30",
         "财政局", "分管副县长", "补充公示", "未整改", ""],
    ]


def _csv(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    return fx.csv_bytes(pd.DataFrame(rows, columns=headers), "utf-8")


def test_problem_list_with_chinese_headers_and_values(stage, tiny_units):
    staged, report = stage("problems", "问题清单.csv", _csv(_problem_rows()), units=tiny_units)
    assert report.errors == []
    data = staged.data
    assert data["status"].tolist() == ["closed", "in_progress", "open"]
    assert data["source"].tolist() == ["supervision", "unannounced", "audit"]
    assert data["deadline"].tolist() == [pd.Timestamp("2020-05-31"), pd.Timestamp("2020-06-30"),
                                         pd.Timestamp("2020-06-30")]
    assert data["found_date"].iloc[1] == pd.Timestamp("2020-03-05")
    assert staged.written["deadline"] == "完成时限"


def test_every_problem_is_located(stage, tiny_units):
    rows = _problem_rows()
    rows[0][5] = "2020-02-30"            # row 2: no such day
    rows[1][6] = "2020-02-01"            # row 3: deadline before the found date (2020-03-05)
    rows[2][1] = "511725199201"          # row 4: unknown unit
    rows.append(["WT-4", tiny.VILLAGES[1], "自查", "就业", "岗位管理不规范", "2020-03-01", "2020-05-31",
                 "人社局", "", "", "已销号", ""])  # row 5: closed without a closed date
    staged, report = stage("problems", "问题清单.csv", _csv(rows), units=tiny_units)
    found = [(p.rule, p.row, p.column, p.value) for p in report.errors]
    assert found == [
        ("code_unknown", 4, "区划代码", "511725199201"),
        ("value_not_date", 2, "发现时间", "2020-02-30"),
        ("deadline_before_found", 3, "完成时限", "2020-02-01"),
        ("closed_without_date", 5, "销号时间", "已销号"),
    ]
    assert staged.data is None
    text = problem_text(report.first("deadline_before_found"))
    assert "第 3 行" in text or "第3行" in text
    assert "完成时限早于发现时间" in text


def test_project_finish_before_start_and_bad_category(stage, tiny_units):
    headers = ["项目编号", "项目名称", "区划代码", "项目类别", "资金规模（万元）", "计划开工", "计划完工", "项目状态"]
    rows = [["XM-1", "特色种植基地", tiny.VILLAGES[0], "产业发展", "120.5", "2020-03-20", "2020-06-30", "在建"],
            ["XM-2", "通组道路", tiny.VILLAGES[1], "基础设施", "80", "2020-03-25", "2020-03-01", "未开工"],
            ["XM-3", "专馆", tiny.VILLAGES[2], "旅游", "10", "2020-03-25", "2020-06-30", "验收"]]
    staged, report = stage("projects", "项目清单.csv", _csv(rows, headers), units=tiny_units)
    found = [(p.rule, p.row, p.column) for p in report.errors]
    assert found == [("value_not_allowed", 4, "项目类别"), ("finish_before_start", 3, "计划完工")]


def test_personal_data_columns_are_refused(stage, tiny_units):
    rows = [r + extra for r, extra in zip(_problem_rows(), (["13812345678"], [""], [""]))]
    staged, report = stage("problems", "问题清单.csv", _csv(rows, HEADERS + ["联系人"]), units=tiny_units)
    phone = report.first("personal_phone")
    assert (phone.row, phone.column) == (2, "M（联系人）")
    assert "13812345678" not in str(phone.value)      # the report itself holds no phone number
    assert staged.data is None

    rows = [r + [pid] for r, pid in zip(_problem_rows(), ("51172519800101123X", "", ""))]
    staged, report = stage("problems", "问题清单.csv", _csv(rows, HEADERS + ["备注"]), units=tiny_units)
    assert [(p.rule, p.row) for p in report.errors] == [("personal_id_number", 2)]
    assert "身份证" in problem_text(report.errors[0])

    rows = [r + [""] for r in _problem_rows()]
    staged, report = stage("problems", "问题清单.csv", _csv(rows, HEADERS + ["手机号码"]), units=tiny_units)
    header = report.first("personal_header")
    assert (header.row, header.value) == (1, "手机号码")
    assert staged.data is None


def test_monitoring_import_with_id_numbers_is_refused(stage, tiny_units):
    frame = tiny.table(tiny.exit_rows(), "exit_status")
    frame["身份证号"] = ""
    frame.loc[1, "身份证号"] = "511725198001011234"
    staged, report = stage("exit_status", "监测.csv", fx.csv_bytes(frame, "utf-8"), units=tiny_units)
    assert {p.rule for p in report.errors} == {"personal_header"}
    assert staged.data is None


def test_codes_are_not_mistaken_for_personal_data(stage, tiny_units):
    staged, report = stage("problems", "问题清单.csv", _csv(_problem_rows()), units=tiny_units)
    assert not [p for p in report.problems if p.rule.startswith("personal_")]


def test_templates_are_in_chinese_and_read_back(stage, tiny_units):
    for kind in schema.OPTIONAL_KINDS:
        book = load_workbook(io.BytesIO(template_xlsx(kind)))
        header = [c.value for c in next(book.active.iter_rows(max_row=1))]
        assert header == [c.header for c in column_help(kind)]
        assert all(not h.isascii() for h in header), header
    book = load_workbook(io.BytesIO(template_xlsx("supervision")))
    for extra in book.worksheets[1:]:   # keep the data sheet only (the other one describes the columns)
        book.remove(extra)
    book.active.append([tiny.COUNTY, 2020, "省"])
    book.active.append([tiny.VILLAGES[2], 2020, "市"])
    buffer = io.BytesIO()
    book.save(buffer)
    staged, report = stage("supervision", "挂牌督战.xlsx", buffer.getvalue(), units=tiny_units)
    assert report.errors == []
    assert staged.data["supervision_level"].tolist() == ["province", "city"]


def test_publish_adds_the_kind_and_keeps_the_others(stage, tiny_units, tiny_folder, tmp_path):
    staged, report = stage("problems", "问题清单.csv", _csv(_problem_rows()), units=tiny_units)
    store = Store(tmp_path / "store")
    result = publish(store, {"problems": staged}, base=tiny_folder, report=report)
    assert result is not None, [str(p) for p in report.errors]
    version, bundle = result
    assert (version.folder / "problems.csv").read_text(encoding="utf-8").splitlines()[1].startswith(
        "WT-1,511725100201,supervision,water,")
    again = read_bundle(version.folder)
    assert again.problems["closed_date"].iloc[0] == pd.Timestamp("2020-05-20")
    assert again.projects is None and again.supervision is None
    assert len(again.exit_status) == len(bundle.exit_status)


def test_a_folder_without_inspection_files_still_reads(tiny_folder):
    bundle = read_bundle(tiny_folder)
    assert bundle.problems is None and bundle.projects is None and bundle.supervision is None
