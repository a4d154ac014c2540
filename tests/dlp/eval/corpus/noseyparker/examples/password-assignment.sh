git ls-remote https://gemesa:ATBB3g7gLXseCxPjJs1CQNMyEjwf1D12516D@bitbucket.org/***/***

export REACT_APP_PASSWORD="REACT_APP_AUTH_PASS=whiteduke"

export REACT_APP_PASSWORD="REACT_APP_AUTH_PASSWORD=whiteduke"
