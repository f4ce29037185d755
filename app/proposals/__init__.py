"""Proposals (提案): intake, budget lines, attachments, screening (初审), needs survey and the lifecycle."""
