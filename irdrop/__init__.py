"""chipsmith.irdrop"""
