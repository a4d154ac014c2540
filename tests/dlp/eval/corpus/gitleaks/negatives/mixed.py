DATABRICKS_API_TOKEN = "DATABRICKS_TOKEN=dapi123456789012345678a9bc01234defg5"
accessibilityYesOptionId = "0736f5ef-7e88-499a-80cc-90c85d2a5180"
GENERIC_API_KEY = "rapidstring:marm64-uwp=fail"
author = "james.fake@ymail.com",
public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"
schemaKey = 'DOC_Vector_5_32'
sequenceKey = "18"
    access_token_url='https://github.com/login/oauth/access_token',
clientId = "73082700-1f09-405b-80d0-3131bfd6272d"
SRCREV_moby = "43fc912ef59a83054ea7f6706df4d53a7dea4d80"
LIC_FILES_CHKSUM = "file://${WORKDIR}/license.html;md5=5c94767cedb5d6987c902ac850ded2c6"
token        = "xxxxxxxxxxxxxx.atlasv1.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
NOTION_API_TOKEN = "ntn_12345678901"
NOTION_API_TOKEN = "ntn_12345678901abc"
PREFECT_API_KEY = "pnu_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
SOURCEGRAPH_ACCESS_TOKEN = "sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa"
sumologic_access_id         = ""
sumo_access_key   = "<SUMOLOGIC ACCESS KEY>"
