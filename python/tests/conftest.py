"""Shared fixtures: the shipped MIMIC-II fold (data/mimic2) and models fitted on it once per run.

The module is imported from PYTHONPATH (CTest sets it to <build>/python); TPP_CLI, when set, is the
`tpp` binary the CLI comparisons run.
"""
import os
import pathlib

import pytest

import tpp

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIMIC = ROOT / "data" / "mimic2"
TRAIN = MIMIC / "time-1-train.txt"
TEST = MIMIC / "time-1-test.txt"
SCHEMA = MIMIC / "schema.json"


@pytest.fixture(scope="session")
def mimic_train():
    return tpp.read(TRAIN, schema=SCHEMA)


@pytest.fixture(scope="session")
def mimic_test():
    return tpp.read(TEST, schema=SCHEMA)


@pytest.fixture(scope="session")
def hawkes(mimic_train):
    """Exponential Hawkes, two Adam epochs: a classical model (closed-form likelihood, recursive
    state). L-BFGS to convergence on 75 types takes a minute; the tests need a model, not the MLE."""
    return tpp.Model("hawkes").fit(mimic_train, epochs=2, lr=0.01)


@pytest.fixture(scope="session")
def thp(mimic_train, mimic_test):
    """A small Transformer Hawkes model, two epochs: a neural model with a key/value-cache state."""
    return tpp.Model("thp", d_model=16, d_ff=32, layers=1, heads=2).fit(
        mimic_train, mimic_test, epochs=2, lr=0.003, batch_size=64)


def subprocess_env(**extra):
    """The environment for a script run in another directory: PYTHONPATH at this tpp package."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(tpp.__file__)))
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, **extra)


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("TPP_CLI")
    if not path or not os.path.exists(path):
        pytest.skip("TPP_CLI (the tpp binary) not set: CLI comparison skipped")
    return path
