"""chipsmith.lithography"""
