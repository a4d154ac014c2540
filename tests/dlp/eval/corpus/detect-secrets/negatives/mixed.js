const artifactory = 'testAP6withinsomeirrelevantstring';
const githubToken = 'foo';
const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';
password => ""
const mailchimpKey = '3ea4572956e2b381923ed34c31db76aa-2';
const softlayer = 'softlayer-key:=afakekey';
