package io.wiretrace.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules of src/docs/architecture.md, over the compiled classes of the agent and of the
 * analysis it shares with the CLI: which package may depend on which, and no cycle between
 * packages. Each package-info.java says the same in words.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        // the analysis module's test jar (its test helpers, on this class path) is tests too
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("io.wiretrace");
    }

    @Test
    void bothModulesAreThere() {
        // the rules below would pass on nothing: make sure they see the code
        if (classes.stream().noneMatch(c -> c.getPackageName().equals("io.wiretrace.analysis.tcp"))
                || classes.stream().noneMatch(c -> c.getPackageName().equals("io.wiretrace.agent.correlate"))) {
            throw new AssertionError("the analysis or the agent classes were not found: " + classes.size() + " classes");
        }
    }

    @Test
    void noCycleBetweenPackages() {
        slices().matching("io.wiretrace.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theAnalysisStandsAlone() {
        noClasses().that().resideInAPackage("io.wiretrace.analysis..").should().dependOnClassesThat()
                .resideInAnyPackage("io.wiretrace.agent..", "io.wiretrace.bootstrap..", "net.bytebuddy..",
                        "org.pcap4j..", "com.sun.jna..", "org.slf4j..")
                .check(classes);
        // analysis.jfr reads the JDK's events for the agent and the CLI alike; analysis.report reads
        // recordings for the report, which the CLI makes and a watch's agent makes for its bundles
        noClasses().that().resideInAPackage("io.wiretrace.analysis..").and().resideOutsideOfPackages(
                "io.wiretrace.analysis.jfr", "io.wiretrace.analysis.report")
                .should().dependOnClassesThat().resideInAPackage("jdk.jfr..")
                .check(classes);
    }

    @Test
    void appThreadCodeNeverReachesTheCaptureOrTheCorrelation() {
        noClasses().that().resideInAPackage("io.wiretrace.agent.app..").should().dependOnClassesThat()
                .resideInAnyPackage("io.wiretrace.agent.capture..", "io.wiretrace.agent.correlate..",
                        "io.wiretrace.agent.control..")
                .check(classes);
    }

    @Test
    void theCaptureKnowsOnlyItsSink() {
        noClasses().that().resideInAPackage("io.wiretrace.agent.capture..").should().dependOnClassesThat()
                .resideInAnyPackage("io.wiretrace.agent.app..", "io.wiretrace.agent.correlate..",
                        "io.wiretrace.agent.control..")
                .check(classes);
    }

    @Test
    void theInAppHistoryKnowsOnlyTheAnalysis() {
        noClasses().that().resideInAPackage("io.wiretrace.agent.inapp..").should().dependOnClassesThat()
                .resideInAnyPackage("io.wiretrace.agent.app..", "io.wiretrace.agent.capture..",
                        "io.wiretrace.agent.correlate..", "io.wiretrace.agent.control..", "io.wiretrace.agent.events..")
                .check(classes);
    }

    @Test
    void theCorrelationDoesNotRunTheSession() {
        noClasses().that().resideInAPackage("io.wiretrace.agent.correlate..").should().dependOnClassesThat()
                .resideInAPackage("io.wiretrace.agent.control..")
                .check(classes);
    }

    @Test
    void eventsAreJustEvents() {
        classes().that().resideInAPackage("io.wiretrace.agent.events..").should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "jdk.jfr..", "io.wiretrace.agent.events..")
                .check(classes);
    }

    @Test
    void theBootstrapDispatcherSeesOnlyJavaBase() {
        classes().that().resideInAPackage("io.wiretrace.bootstrap..").should().onlyDependOnClassesThat()
                .resideInAnyPackage("java.lang..", "io.wiretrace.bootstrap..")
                .check(classes);
    }

    @Test
    void theEntryUsesOnlyTheJdk() {
        // loaded by the app's system class loader: anything else would be the app's copy, or missing
        classes().that().resideInAPackage("io.wiretrace.agent").should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "io.wiretrace.agent")
                .check(classes);
    }
}
