import subprocess
import sys
from pathlib import Path

import pytest

from corpussieve.config import Config, build_config, default_config_yaml, parse_set
from corpussieve.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_defaults_file_is_in_step_with_the_code():
    assert (REPO / "conf" / "defaults.yaml").read_text() == default_config_yaml()
    assert build_config([str(REPO / "conf" / "defaults.yaml")]) == Config()


@pytest.mark.parametrize("profile", ["local.yaml", "cluster.example.yaml"])
def test_shipped_profiles_validate(profile):
    build_config([str(REPO / "conf" / profile)])


def test_layers_apply_in_order(tmp_path):
    first = tmp_path / "a.yaml"
    first.write_text("spark:\n  shuffle_partitions: 3\n  app_name: from-file\n")
    second = tmp_path / "b.yaml"
    second.write_text("spark:\n  shuffle_partitions: 5\n")
    cfg = build_config([str(first), str(second)], ["spark.app_name=from-set"], {"spark.ui": False})
    assert cfg.spark.shuffle_partitions == 5
    assert cfg.spark.app_name == "from-set"
    assert cfg.spark.ui is False


@pytest.mark.parametrize(
    "item, fragment",
    [
        ("tables.bakend=delta-rs", "tables.bakend: unknown key"),
        ("tables.backend=parquet", "tables.backend: Input should be"),
        ("spark.shuffle_partitions=zero", "spark.shuffle_partitions"),
        ("spark.shuffle_partitions=0", "greater than or equal to 1"),
        ("spark.driver_memory=lots", "spark.driver_memory"),
        ("ingest.max_record_bytes=12", "ingest.max_record_bytes"),
    ],
)
def test_bad_values_give_one_line_naming_the_key(item, fragment):
    with pytest.raises(ConfigError) as err:
        build_config(sets=[item])
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_set_values_are_yaml_scalars():
    assert parse_set("a.b=0.8") == ("a.b", 0.8)
    assert parse_set("a.b=true") == ("a.b", True)
    assert parse_set("a.b=hello world") == ("a.b", "hello world")
    with pytest.raises(ConfigError):
        parse_set("no-equals-sign")


def test_missing_or_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        build_config([str(tmp_path / "nope.yaml")])
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a list\n- not a mapping\n")
    with pytest.raises(ConfigError, match="mapping"):
        build_config([str(bad)])


def test_cli_exits_nonzero_with_one_clear_line():
    proc = subprocess.run(
        [sys.executable, "-m", "corpussieve", "show-config", "--set", "tables.backend=parquet"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("corpussieve: error: config error: tables.backend")


def test_jit_auto_follows_the_job_and_user_options_are_kept():
    from corpussieve.config import SparkConfig
    from corpussieve.session import QUICK_JIT_OPTIONS, local_settings

    key = "spark.driver.extraJavaOptions"
    assert key not in local_settings(SparkConfig())
    assert local_settings(SparkConfig(), jit_default="quick")[key] == QUICK_JIT_OPTIONS
    assert key not in local_settings(SparkConfig(jit="full"), jit_default="quick")
    mine = SparkConfig(jit="quick", conf={key: "-Dmy.flag=1"})
    assert local_settings(mine)[key] == f"{QUICK_JIT_OPTIONS} -Dmy.flag=1"


def test_clean_and_repetition_ask_for_the_quick_jit_and_dedup_does_not():
    import importlib

    from corpussieve.cli import JOBS

    assert importlib.import_module(JOBS["clean"]).LOCAL_JIT == "quick"
    assert importlib.import_module(JOBS["repetition"]).LOCAL_JIT == "quick"
    assert getattr(importlib.import_module(JOBS["dedup"]), "LOCAL_JIT", "full") == "full"
