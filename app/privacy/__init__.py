"""Residents' rights over their personal data (个人信息保护法): a copy of it, deletion of the account, retention."""
