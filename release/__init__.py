"""Release tooling (`python -m release`): the tag, the version, the CHANGELOG and the component package's schema
agree; the release notes are the CHANGELOG's section of the version; the built artefacts hold what a consumer
imports; the major tag (v1) moves only forward. Pure functions over text and files
([`changelog`](changelog.py), [`checks`](checks.py), [`artifacts`](artifacts.py), [`major_tag`](major_tag.py));
the CLI ([`__main__`](__main__.py)) reads the files and loads the schema. The release workflow
(.github/workflows/release.yml) runs it; docs/release.md tells how to cut a release.
"""
