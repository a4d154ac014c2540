AZURE_OPENAI_API_KEY = "azure_openai_key=1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
AZURE_STORAGE_ACCOUNT_NAME = "mystorageaccount.blob.core.windows.net"
