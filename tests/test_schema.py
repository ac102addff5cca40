"""The schema module and data/README.md tell the same story."""
import re
from pathlib import Path

from geo.schema import DATASETS, FILES

README = (Path(__file__).resolve().parent.parent / "data" / "README.md").read_text(encoding="utf-8")


def test_every_column_of_every_dataset_is_documented():
    documented = set(re.findall(r"`([a-z_]+)`", README))
    for kind, dataset in DATASETS.items():
        missing = [c.name for c in dataset.columns if c.name not in documented]
        assert not missing, f"data/README.md does not document {kind} columns {missing}"


def test_every_file_is_documented():
    for name in FILES.values():
        assert f"`{name}`" in README


def test_enum_values_are_documented():
    for dataset in DATASETS.values():
        for column in dataset.columns:
            for value in column.allowed:
                assert value in README, f"{dataset.kind}.{column.name}: {value}"
