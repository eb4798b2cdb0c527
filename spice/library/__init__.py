"""Subcircuit library: .cir blocks with YAML metadata and generic device models."""
