"""Fetch the delta-spark jars for local sessions (run by ``make setup``).

Resolves ``io.delta:delta-spark_2.13`` with Maven (Spark itself is 'provided' in Delta's pom, so it is not
pulled), then keeps only the jars pyspark's own ``jars/`` folder lacks: a second copy of Scala, Hadoop,
Parquet or Jackson in another version would shadow or clash with Spark's. Jackson modules pyspark does not
ship are resolved at pyspark's Jackson version. The result goes to ``.jars/delta-<version>/`` with a
``manifest.json`` (the jars, the Delta version, the Spark line they were built for, what was left to pyspark).

Without Maven or without the registry it prints one line and exits 0: every job still runs on delta-rs.
``--check`` only says whether the jars are in place.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from corpussieve.deltajars import DELTA_VERSION, MANIFEST, default_dir  # noqa: E402

# Jars whose classes pyspark ships under another artifact name.
PROVIDED_ELSEWHERE = {
    "commons-logging": "jcl-over-slf4j",  # the same org.apache.commons.logging classes
    "shims": "RoaringBitmap",  # RoaringBitmap 1.x contains the 0.9 shims' classes
}

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>corpussieve</groupId>
  <artifactId>delta-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement><dependencies>{managed}</dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>io.delta</groupId><artifactId>delta-spark_2.13</artifactId><version>{delta}</version></dependency>
  </dependencies>
</project>
"""
MANAGED = ("<dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
           "<version>{version}</version></dependency>")
JACKSON_MODULES = [("com.fasterxml.jackson.datatype", "jackson-datatype-jdk8")]
_JAR = re.compile(r"^(?P<artifact>.+?)-(?P<version>\d[\w.\-]*)\.jar$")


def say(message: str) -> None:
    print(f"delta-spark jars: {message}", flush=True)


def artifact_of(jar_name: str) -> str:
    match = _JAR.match(jar_name)
    return match.group("artifact") if match else jar_name.removesuffix(".jar")


def pyspark_jars() -> tuple[Path, str, dict[str, str]]:
    import pyspark

    folder = Path(pyspark.__file__).parent / "jars"
    artifacts = {}
    for jar in folder.glob("*.jar"):
        match = _JAR.match(jar.name)
        if match:
            artifacts[match.group("artifact")] = match.group("version")
    return folder, pyspark.__version__, artifacts


def mvn(args: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(["mvn", "-B", "-q", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def spark_version_of_delta_pom(pom_text: str) -> str | None:
    match = re.search(r"<artifactId>spark-core_2\.13</artifactId>\s*<version>([^<]+)</version>", pom_text)
    return match.group(1) if match else None


def fetch(target: Path, timeout: int) -> int:
    if (target / MANIFEST).is_file():
        say(f"present in {target}")
        return 0
    if shutil.which("mvn") is None:
        say("not fetched: 'mvn' is not installed; tables use the delta-rs backend (install Maven and run make setup "
            "for delta-spark)")
        return 0
    _, pyspark_version, provided = pyspark_jars()
    managed = "".join(
        MANAGED.format(group=group, artifact=artifact, version=provided["jackson-databind"])
        for group, artifact in JACKSON_MODULES if "jackson-databind" in provided
    )
    with tempfile.TemporaryDirectory(prefix="corpussieve-delta-") as tmp:
        work = Path(tmp)
        (work / "pom.xml").write_text(POM.format(delta=DELTA_VERSION, managed=managed))
        try:
            got = mvn(["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={work / 'all'}"],
                      work, timeout)
            pom = mvn(["dependency:copy", f"-Dartifact=io.delta:delta-spark_2.13:{DELTA_VERSION}:pom",
                       f"-DoutputDirectory={work / 'pom'}"], work, timeout) if got.returncode == 0 else got
        except subprocess.TimeoutExpired:
            say(f"not fetched: Maven did not answer within {timeout}s; tables use the delta-rs backend")
            return 0
        if got.returncode != 0 or pom.returncode != 0:
            lines = [ln for ln in (got.stdout + got.stderr + pom.stdout + pom.stderr).splitlines() if "ERROR" in ln]
            reason = lines[0].strip() if lines else "Maven failed"
            say(f"not fetched ({reason[:300]}); tables use the delta-rs backend")
            return 0
        pom_files = list((work / "pom").glob("*.pom"))
        built_for = spark_version_of_delta_pom(pom_files[0].read_text()) if pom_files else None
        keep, left = [], {}
        for jar in sorted((work / "all").glob("*.jar")):
            artifact = artifact_of(jar.name)
            if artifact in provided:
                left[jar.name] = f"pyspark has {artifact}-{provided[artifact]}"
            elif artifact in PROVIDED_ELSEWHERE and PROVIDED_ELSEWHERE[artifact] in provided:
                left[jar.name] = f"pyspark's {PROVIDED_ELSEWHERE[artifact]} holds these classes"
            else:
                keep.append(jar)
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for jar in keep:
            shutil.copy2(jar, staging / jar.name)
        manifest = {"delta_version": DELTA_VERSION, "spark_version": built_for, "pyspark_version": pyspark_version,
                    "jars": [jar.name for jar in keep], "left_to_pyspark": left}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)  # the folder appears whole or not at all
    say(f"{len(keep)} jars in {target} (delta-spark {DELTA_VERSION} for Spark {built_for}; "
        f"{len(left)} left to pyspark's own)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=default_dir(), help="where the jars go (default: %(default)s)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds Maven may take")
    parser.add_argument("--check", action="store_true", help="only report whether the jars are present")
    args = parser.parse_args()
    if args.check:
        present = (args.dir / MANIFEST).is_file()
        say(f"present in {args.dir}" if present else f"absent (no {args.dir / MANIFEST}); tables use delta-rs")
        return 0
    return fetch(args.dir, args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
