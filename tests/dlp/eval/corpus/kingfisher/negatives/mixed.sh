export ARTIFACTORY_JFROG_URL="mycompany.jfrog.io"

export AZURE_SEARCH_URL="azure_search_url=https://myservice.search.windows.net/indexes/myindex"

export BITBUCKET_CLIENT_ID="bitbucket_id=byl2nhrv34zaclukjhvomlvjabkujf"

export JIRA_DOMAIN="example-jira.atlassian.net"

export SHOPIFY_DOMAIN="example.myshopify.com"
