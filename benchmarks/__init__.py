"""chipsmith.benchmarks"""
