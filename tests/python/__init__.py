"""Tests of plot/ (stdlib unittest): run from the repository root with
`/usr/bin/python3 -m unittest discover -s tests/python -t .`"""
