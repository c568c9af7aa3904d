import pytest

from infra.sandbox import Sandbox


@pytest.fixture
def make_pipeline(stack, tmp_path):
    """Build isolated pipelines; their flow processes are killed and their topics deleted at the end."""
    pipelines: list[Sandbox] = []

    def make(name: str = "p", **options) -> Sandbox:
        directory = tmp_path / name
        directory.mkdir()
        pipeline = Sandbox(stack, directory, **options)
        pipelines.append(pipeline)
        return pipeline

    yield make
    for pipeline in pipelines:
        pipeline.close()
