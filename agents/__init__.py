"""chipsmith.agents"""
