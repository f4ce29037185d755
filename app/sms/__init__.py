"""SMS: senders for Alibaba Cloud and Tencent Cloud (official SDKs), a log sender for development, the record."""
