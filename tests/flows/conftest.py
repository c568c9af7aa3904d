import pytest

from tests.flows.pipeline import Pipeline


@pytest.fixture
def make_pipeline(stack, tmp_path):
    """Build isolated pipelines; their flow processes are killed at the end of the test."""
    pipelines: list[Pipeline] = []

    def make(name: str = "p", **options) -> Pipeline:
        directory = tmp_path / name
        directory.mkdir()
        pipeline = Pipeline(stack, directory, **options)
        pipelines.append(pipeline)
        return pipeline

    yield make
    for pipeline in pipelines:
        pipeline.stop()
