"""The project's one version: the components package's schema, pyproject, the verifier (`--version`,
SARIF's tool version), the GitHub action and the CHANGELOG's latest release all read it or are checked
against it (tests/release)."""

VERSION = "1.0.0"
