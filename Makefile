# The two set-up commands of README.md; each installs what is missing first (infra/setup.sh).
.PHONY: up test setup

UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)

up: setup
	$(UV) run fasttrading up

test: setup
	$(UV) run pytest

setup:
	@bash infra/setup.sh
