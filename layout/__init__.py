"""chipsmith.layout"""
