"""Downloads: CSV that Excel opens in Chinese, XLSX with codes as text, no formula injection."""
import io

import pandas as pd
from openpyxl import load_workbook

from geo.table import neutralise, to_csv_bytes, to_xlsx_bytes

FRAME = pd.DataFrame({
    "区划代码": ["511725100201", "001234567890"],
    "名称": ["=HYPERLINK(\"http://x\",\"点我\")", "新民村"],
    "备注": ["+1+2", "@SUM(A1)"],
    "剩余": pd.array([-5, 12], dtype="Int64"),
    "发生率": [0.5, None],
})


def test_csv_has_bom_and_neutralised_text():
    data = to_csv_bytes(FRAME)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert back.loc[0, "名称"].startswith("'=HYPERLINK")
    assert back.loc[0, "备注"] == "'+1+2" and back.loc[1, "备注"] == "'@SUM(A1)"
    assert back.loc[1, "区划代码"] == "001234567890"
    assert back.loc[0, "剩余"] == "-5"            # numbers are numbers, never prefixed


def test_xlsx_codes_are_text_cells_and_numbers_numbers():
    book = load_workbook(io.BytesIO(to_xlsx_bytes(FRAME, text_columns=["区划代码"], sheet="退出进度")))
    ws = book["退出进度"]
    assert [c.value for c in ws[1]] == list(FRAME.columns)
    assert ws["A3"].value == "001234567890" and ws["A3"].data_type == "s" and ws["A3"].number_format == "@"
    assert ws["B2"].value.startswith("'=") and ws["B2"].data_type == "s"   # not a formula cell
    assert ws["D2"].value == -5 and ws["D2"].data_type == "n"
    assert ws["E3"].value is None


def test_neutralise_only_touches_formula_like_text():
    assert neutralise("=1+1") == "'=1+1" and neutralise("-x") == "'-x" and neutralise("\t=1") == "'\t=1"
    assert neutralise("新民村") == "新民村" and neutralise(-3) == -3 and neutralise(None) is None
