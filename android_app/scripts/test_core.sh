#!/usr/bin/env bash
# The pure-Java core (app/src/main/java/org/cloformer/bench/core) and its JUnit tests, on the JDK,
# with JUnit and org.json (Android's own implementation) from Debian's packages.
# Leaves the compiled classes in $CACHE/core-classes for tests/android_app (pytest).
source "$(dirname "$0")/inputs.sh"
command -v javac >/dev/null || die "javac not found: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"
deb host junit4 libhamcrest-java libandroid-json-java
CP="$JARS/junit4.jar:$JARS/hamcrest.jar:$JARS/com.android.json.jar"
OUT="$CACHE/core-classes"
rm -rf "$OUT" && mkdir -p "$OUT"
# --release 8: the same class files the hand-built APK dexes (dx reads Java 8 class files only).
javac -Xlint:all -Werror --release 8 -encoding UTF-8 -d "$OUT" -cp "$CP" \
  $(find "$APP_DIR/app/src/main/java/org/cloformer/bench/core" "$APP_DIR/app/src/test/java" -name '*.java')
tests=$(cd "$APP_DIR/app/src/test/java" && find . -name '*Test.java' | sed 's#^\./##; s#\.java$##; s#/#.#g')
java -Dcloformer.root="$APP_DIR/.." -cp "$OUT:$CP" org.junit.runner.JUnitCore $tests
echo "classpath: $OUT:$CP"
