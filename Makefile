# Set-up and the two Quick start jobs. Needs only python3 (>= 3.10), pip and make.
PYTHON ?= python3
# PyTorch's CPU-only wheels where pip would otherwise fetch the default (CUDA) build:
#   make run TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint clean

$(BIN)/mllab: pyproject.toml constraints.txt
	@echo "Installing mllab, PyTorch and the test tools into $(VENV) (minutes, the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar off -c constraints.txt \
		$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e '.[dev]'
	# torchattacks (a test reference for mllab.adversarial) without its dependencies: they
	# would pull torchvision, which must never be installed here; it imports without it.
	$(BIN)/pip install --progress-bar off -c constraints.txt \
		$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) --no-deps torchattacks
	touch $(BIN)/mllab

setup: $(BIN)/mllab

run: setup
	$(BIN)/mllab run regression-linear

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) runs
