"""The sandbox's emulator fixtures, for the test that runs the action against a deployment."""

from tests.sandbox.conftest import clean_aws_env, emulator, stack  # noqa: F401
