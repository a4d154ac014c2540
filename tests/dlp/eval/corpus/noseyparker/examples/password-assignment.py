hostname = '10.11.12.13'
username = 'donjuandemarco@example.com'
password = '`123QWERasdf'

hostname = '10.11.12.13'
USERNAME = 'donjuandemarco@example.com'
# some comment
# some other comment
PASS = '`123QWERasdf'

user = 'abuser'  # some comment
password = 'abuser123456'  # some other comment

user = 'Aladdin'
password = 'open sesame'
password = "super$ecret"
password="super$ecret"
