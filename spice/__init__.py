"""chipsmith.spice"""
