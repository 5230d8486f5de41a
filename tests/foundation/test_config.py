import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from corpussieve.config import Config, build_config, default_config_yaml, parse_set
from corpussieve.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_defaults_file_is_in_step_with_the_code():
    assert (REPO / "conf" / "defaults.yaml").read_text() == default_config_yaml()
    assert build_config([str(REPO / "conf" / "defaults.yaml")]) == Config()


def _leaves(tree, prefix=()):
    """(dotted key path, value) of every scalar a YAML mapping sets; Spark's ``conf`` map counts as one."""
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, dict) and key != "conf":
            yield from _leaves(value, path)
        else:
            yield path, value


def _resolved(config, path):
    node = config
    for key in path:
        node = getattr(node, key)
    return node


SHIPPED_PROFILES = {
    # profile: (values it must resolve to, a line to break in a copy, what it becomes, the key the error names)
    "local.yaml": (
        {("spark", "ui"): False, ("spark", "log_level"): "ERROR", ("tables", "backend"): "auto"},
        "  log_level: ERROR\n", "  log_level: LOUD\n", "spark.log_level",
    ),
    "cluster.example.yaml": (
        {("spark", "arrow_batch_rows"): 8192, ("spark", "shuffle_partitions"): 400,
         ("spark", "conf"): {"spark.sql.adaptive.skewJoin.enabled": "true"}, ("tables", "backend"): "delta-spark",
         ("spark", "master"): None},
        "  shuffle_partitions: 400\n", "  shuffle_partitoins: 400\n", "spark.shuffle_partitoins: unknown key",
    ),
}


@pytest.mark.parametrize("profile", list(SHIPPED_PROFILES))
def test_shipped_profiles_validate_and_take_effect(profile, tmp_path):
    expected, line, broken_line, error_fragment = SHIPPED_PROFILES[profile]
    source = REPO / "conf" / profile
    cfg = build_config([str(source)])
    for path, value in expected.items():
        assert _resolved(cfg, path) == value, ".".join(path)
    # every key the profile sets is in the resolved config, and it sets nothing outside spark and tables
    for path, value in _leaves(yaml.safe_load(source.read_text())):
        assert _resolved(cfg, path) == value, ".".join(path)
    assert cfg.model_dump(exclude={"spark", "tables"}) == Config().model_dump(exclude={"spark", "tables"})

    text = source.read_text()
    assert text.count(line) == 1
    broken = tmp_path / profile
    broken.write_text(text.replace(line, broken_line))
    with pytest.raises(ConfigError) as err:
        build_config([str(broken)])
    assert error_fragment in str(err.value) and "\n" not in str(err.value)


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
    plain = SparkConfig(class_archive="none")  # the class archive's flags have their own test
    assert key not in local_settings(plain)
    assert local_settings(plain, jit_default="quick")[key] == QUICK_JIT_OPTIONS
    assert key not in local_settings(plain.model_copy(update={"jit": "full"}), jit_default="quick")
    mine = SparkConfig(jit="quick", class_archive="none", conf={key: "-Dmy.flag=1"})
    assert local_settings(mine)[key] == f"{QUICK_JIT_OPTIONS} -Dmy.flag=1"


def test_clean_and_repetition_ask_for_the_quick_jit_and_dedup_does_not():
    import importlib

    from corpussieve.cli import JOBS

    assert importlib.import_module(JOBS["clean"]).LOCAL_JIT == "quick"
    assert importlib.import_module(JOBS["repetition"]).LOCAL_JIT == "quick"
    assert getattr(importlib.import_module(JOBS["dedup"]), "LOCAL_JIT", "full") == "full"
