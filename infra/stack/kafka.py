"""Apache Kafka in KRaft mode (one combined broker/controller), run from jars Maven resolves once.

The jars land in `<cache_dir>/kafka-<version>/libs` (shared by every state directory); the log
directory is formatted once with a cluster id derived from the state directory, so the same
directory always comes back as the same cluster.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import uuid
from pathlib import Path

from connectors.kafka.client import broker_cluster_id, ensure_topics
from connectors.kafka.errors import KafkaError
from connectors.settings import KafkaSettings, StackSettings
from infra.stack import process
from infra.stack.errors import StackError
from infra.stack.health import Health, wait_until_up

NAME = "kafka"
LOG4J_SLF4J_VERSION = "2.24.3"  # Kafka 4.1 logs through slf4j 1.7, which this binding serves
POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.fasttrading</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>{log4j}</version></dependency>
  </dependencies>
</project>
"""
LOG4J2_CONFIG = """status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def _home(stack: StackSettings) -> Path:
    return stack.state_dir / NAME


def log_path(stack: StackSettings) -> Path:
    return _home(stack) / "broker.log"


def _pidfile(stack: StackSettings) -> Path:
    return _home(stack) / "broker.pid"


def _require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "Java 17+ is needed for the local Kafka broker: apt-get install openjdk-17-jre-headless, "
            "or point FASTTRADING_KAFKA_HOST/FASTTRADING_KAFKA_PORT at a running broker"
        )
    banner = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', banner)
    if match is None or int(match[1]) < 17:
        raise StackError(
            f"Kafka needs Java 17+, found {banner.splitlines()[0] if banner else 'unknown'}: "
            "apt-get install openjdk-17-jre-headless"
        )
    return java


def resolve_jars(kafka: KafkaSettings, stack: StackSettings) -> Path:
    """The directory of the broker's jars, fetched from Maven Central on first use."""
    home = stack.cache_dir / f"kafka-{kafka.version}"
    libs = home / "libs"
    done = home / ".complete"
    if done.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven is needed once to fetch the Kafka jars: apt-get install maven, "
            "or point FASTTRADING_KAFKA_HOST/FASTTRADING_KAFKA_PORT at a running broker"
        )
    home.mkdir(parents=True, exist_ok=True)
    (home / "pom.xml").write_text(POM.format(kafka=kafka.version, log4j=LOG4J_SLF4J_VERSION))
    shutil.rmtree(libs, ignore_errors=True)
    result = subprocess.run(
        [mvn, "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        cwd=home, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise StackError(f"mvn could not fetch Kafka {kafka.version} jars:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    done.touch()
    return libs


def _cluster_id(stack: StackSettings) -> str:
    # Kafka wants 16 random-looking bytes in URL-safe base64; derive them so re-formatting is stable.
    seed = uuid.uuid5(uuid.NAMESPACE_URL, f"fasttrading:{stack.state_dir.resolve()}")
    return base64.urlsafe_b64encode(seed.bytes).decode().rstrip("=")


def _server_properties(kafka: KafkaSettings, data_dir: Path) -> str:
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{kafka.host}:{kafka.controller_port}",
        f"listeners=PLAINTEXT://{kafka.host}:{kafka.port},CONTROLLER://{kafka.host}:{kafka.controller_port}",
        f"advertised.listeners=PLAINTEXT://{kafka.host}:{kafka.port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={data_dir}",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",  # topics come from the registry, with their partitions
        "",
    ])


def health(kafka: KafkaSettings, stack: StackSettings) -> Health:
    pid = process.running_pid(_pidfile(stack))
    address = kafka.bootstrap_servers
    try:
        cluster = broker_cluster_id(kafka)
    except KafkaError:
        return Health(NAME, False, address, pid=pid, detail="no metadata answer")
    version = kafka.version if pid else ""
    return Health(NAME, True, address, version, pid, detail=f"cluster {cluster}")


def start(kafka: KafkaSettings, stack: StackSettings) -> Health:
    """Reuse a broker that answers, else start ours; then create the registry's topics."""
    current = health(kafka, stack)
    if not current.up:
        if current.pid is None:
            _launch(kafka, stack)
        current = wait_until_up(lambda: health(kafka, stack), timeout_s=kafka.metadata_timeout_s, poll_s=0.5,
                                log=log_path(stack))
    ensure_topics(kafka)
    return current


def _launch(kafka: KafkaSettings, stack: StackSettings) -> None:
    java = _require_java()
    libs = resolve_jars(kafka, stack)
    home = _home(stack)
    data_dir = (home / "data").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "server.properties"
    config.write_text(_server_properties(kafka, data_dir))
    (home / "log4j2.properties").write_text(LOG4J2_CONFIG)
    jvm = [java, "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={home / 'log4j2.properties'}"]
    if not (data_dir / "meta.properties").exists():
        formatted = subprocess.run(
            # `--cluster-id=` keeps an id that starts with "-" (URL-safe base64 may) from reading as an option
            [*jvm, "kafka.tools.StorageTool", "format", f"--cluster-id={_cluster_id(stack)}", "-c", str(config)],
            capture_output=True, text=True,
        )
        if formatted.returncode != 0:
            raise StackError(f"cannot format Kafka storage in {data_dir}:\n{formatted.stderr[-2000:]}{formatted.stdout[-1000:]}")
    process.spawn(
        [*jvm, f"-Xms{kafka.heap_mb}m", f"-Xmx{kafka.heap_mb}m", "-XX:+UseG1GC",
         f"-Dkafka.logs.dir={home}", "kafka.Kafka", str(config)],
        pidfile=_pidfile(stack), log_path=log_path(stack),
    )


def stop(kafka: KafkaSettings, stack: StackSettings) -> bool:
    return process.stop_by_pidfile(_pidfile(stack), timeout_s=60)
