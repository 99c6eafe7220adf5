require("v8-compile-cache-lib").install({ cacheDir: "/tmp/v8cc" });
