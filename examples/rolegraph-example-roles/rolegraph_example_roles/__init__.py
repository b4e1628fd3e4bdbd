"""Example rolegraph roles, installed through the `rolegraph.roles` entry point group."""

from rolegraph_example_roles.jargon import JargonChecker

__all__ = ["JargonChecker"]
