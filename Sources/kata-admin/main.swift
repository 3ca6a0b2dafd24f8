print("kata-admin")
